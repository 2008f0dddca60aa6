/* seed_request.h - the H.248 request of the source document, verbatim (lines as printed
 * there, LF line ends), for the tests that must accept it. Split around its LICn value so a
 * test can substitute a valid one: SEED_REQUEST is the verbatim text. */
#ifndef BGF_TESTS_SEED_REQUEST_H
#define BGF_TESTS_SEED_REQUEST_H

#define SEED_HEAD                                                                                  \
    "MEGACO/2 [123.123.123.3]:2944\n"                                                              \
    "Transaction = 10003 {\n"                                                                      \
    "Context = $ {\n"                                                                              \
    "Add = $ {\n"                                                                                  \
    "Media {\n"                                                                                    \
    "LocalControl {\n"                                                                             \
    "Mode = SendReceive,\n"                                                                        \
    "li/LICn="
#define SEED_LICN "ff00ff00ff00ff00"
#define SEED_TAIL                                                                                  \
    "},\n"                                                                                         \
    "li/LITID = [ffffff00, ffffff01],\n"                                                           \
    "Remote {\n"                                                                                   \
    "v=0\n"                                                                                        \
    "c=IN IP4 124.124.124.222\n"                                                                   \
    "m=audio 2222 RTP/AVP 0\n"                                                                     \
    "a=ptime:20\n"                                                                                 \
    "}\n"                                                                                          \
    "}\n"                                                                                          \
    "}\n"                                                                                          \
    "}\n"                                                                                          \
    "}\n"
#define SEED_REQUEST SEED_HEAD SEED_LICN SEED_TAIL

#endif
