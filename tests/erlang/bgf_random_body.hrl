%% bgf_random_body.hrl - random but reproducible H.248 messages built from megaco records, to
%% reach combinations the hand-written corpus does not. Included by bgf_corpus_vN.erl after
%% bgf_corpus_body.hrl (it uses that file's builders) with the same ?VSN.
%%
%% random_entries(Seed, N) -> [{Name, Message}]: N messages drawn from the rand state Seed.
%% Some draws are things megaco itself cannot encode or read back in this version; the
%% caller (bgf_corpus) drops those, so a message kept is one megaco stands behind.


random_entries(Seed, N) ->
    rand:seed(exsss, Seed),
    [{list_to_atom(lists:flatten(io_lib:format("random_~3..0b", [I]))), r_message()}
     || I <- lists:seq(1, N)].

pick(L) -> lists:nth(rand:uniform(length(L)), L).
some(Max, F) -> [F() || _ <- lists:seq(1, rand:uniform(Max))].
opt(F) -> case rand:uniform(2) of 1 -> F(); 2 -> asn1_NOVALUE end.
r_int(Lo, Hi) -> Lo + rand:uniform(Hi - Lo + 1) - 1.
r_word() -> pick(["a", "x1", "core", "ext", "7", "9f", "on", "off", "abc_d", "Zz9"]).

r_message() ->
    Mid = pick([mid4(), mgc4(), mid6(), middom(), middev()]),
    trans(Mid, some(3, fun r_txn/0)).

r_txn() ->
    Id = r_int(1, 4294967295),
    case rand:uniform(10) of
        N when N =< 5 -> req(Id, some(2, fun r_action/0));
        N when N =< 8 -> reply(Id, some(2, fun r_action_reply/0));
        9 -> {transactionPending, #'TransactionPending'{transactionId = Id}};
        10 -> {transactionResponseAck, some(3, fun() ->
                   F = r_int(1, 100000),
                   pick([#'TransactionAck'{firstAck = F},
                         #'TransactionAck'{firstAck = F, lastAck = F + r_int(1, 1000)}])
               end)}
    end.

r_ctx() -> pick([?megaco_null_context_id, ?megaco_choose_context_id, ?megaco_all_context_id,
                 r_int(1, 4294967293)]).

r_tid() ->
    pick(["root", "*", "$", "ip/1/core/$", "ip/1/*/*", "ip/" ++ r_word() ++ "/" ++ r_word() ++ "/"
          ++ integer_to_list(r_int(0, 99999)), "rtp/" ++ integer_to_list(r_int(1, 999))]).

r_action() ->
    A = act(r_ctx(), some(3, fun r_command/0)),
    A#'ActionRequest'{contextRequest = opt(fun r_ctx_request/0)}.

-if(?VSN >= 2).
emergency_off() -> [false].
-else.
emergency_off() -> [].
-endif.

%% Context properties: priority, emergency (EmergencyOff from v2), one topology triple.
r_ctx_request() ->
    #'ContextRequest'{priority = opt(fun() -> r_int(0, 15) end),
                      emergency = pick([asn1_NOVALUE, true] ++ emergency_off()),
                      topologyReq = pick([asn1_NOVALUE,
                          [#'TopologyRequest'{terminationFrom = tid(r_tid()),
                                              terminationTo = tid(r_tid()),
                                              topologyDirection = pick([bothway, isolate,
                                                                        oneway])}]])}.

r_command() ->
    C = case rand:uniform(8) of
            1 -> add(r_tid(), r_descs());
            2 -> modify(r_tid(), r_descs());
            3 -> {moveReq, #'AmmRequest'{terminationID = [tid(r_tid())], descriptors = r_descs()}};
            4 -> {subtractReq, #'SubtractRequest'{terminationID = [tid(r_tid())],
                     auditDescriptor = opt(fun() -> #'AuditDescriptor'{
                         auditToken = lists:usort(some(3, fun() ->
                             pick([statsToken, mediaToken, eventsToken, signalsToken,
                                   packagesToken, digitMapToken, eventBufferToken])
                         end))} end)}};
            5 -> {auditValueRequest, #'AuditRequest'{terminationID = tid(r_tid()),
                     auditDescriptor = #'AuditDescriptor'{auditToken = [pick([mediaToken,
                         packagesToken, statsToken, eventsToken])]}}};
            6 -> {notifyReq, #'NotifyRequest'{terminationID = [tid(r_tid())],
                     observedEventsDescriptor = #'ObservedEventsDescriptor'{
                         requestId = r_int(1, 65535),
                         observedEventLst = some(2, fun r_observed/0)}}};
            7 -> {serviceChangeReq, #'ServiceChangeRequest'{terminationID = [tid(r_tid())],
                     serviceChangeParms = r_sc_parm()}};
            8 -> {auditCapRequest, #'AuditRequest'{terminationID = tid(r_tid()),
                     auditDescriptor = #'AuditDescriptor'{auditToken = [mediaToken]}}}
        end,
    #'CommandRequest'{command = C,
                      optional = pick([asn1_NOVALUE, asn1_NOVALUE, 'NULL']),
                      wildcardReturn = pick([asn1_NOVALUE, asn1_NOVALUE, 'NULL'])}.

r_descs() ->
    lists:append([pick([[{mediaDescriptor, r_media()}], [], [{eventsDescriptor, r_events()}],
                        [{signalsDescriptor, some(2, fun r_signal/0)}],
                        [{eventBufferDescriptor, [#'EventSpec'{eventName = "hangterm/thb"}]}],
                        [{digitMapDescriptor, #'DigitMapDescriptor'{
                            digitMapName = pick([asn1_NOVALUE, "dm" ++ r_word()]),
                            digitMapValue = #'DigitMapValue'{
                                startTimer = opt(fun() -> r_int(0, 99) end),
                                digitMapBody = pick(["(0xxx|1xxx)", "xxxx", "(1x.|[2-9]xx)"])}}}]])
                  || _ <- lists:seq(1, rand:uniform(3))]).

r_media() ->
    case rand:uniform(3) of
        3 -> #'MediaDescriptor'{streams = {multiStream,
                 [#'StreamDescriptor'{streamID = Id, streamParms = r_stream_parms()}
                  || Id <- lists:usort(some(2, fun() -> r_int(1, 3) end))]}};
        _ -> #'MediaDescriptor'{
                 termStateDescr = opt(fun() -> #'TerminationStateDescriptor'{
                     propertyParms = some(2, fun r_prop/0),
                     serviceState = pick([asn1_NOVALUE, inSvc, outOfSvc, test])} end),
                 streams = {oneStream, r_stream_parms()}}
    end.

r_stream_parms() ->
    #'StreamParms'{localControlDescriptor = opt(fun() ->
                       lc(pick([asn1_NOVALUE, sendOnly, recvOnly, sendRecv, inactive,
                                loopBack]), some(4, fun r_prop/0)) end),
                   localDescriptor = opt(fun r_sdp/0),
                   remoteDescriptor = opt(fun r_sdp/0)}.

r_prop() ->
    Name = pick(["ds/dscp", "gm/saf", "gm/sam", "gm/spf", "gm/spr", "gm/esas", "gm/lsa",
                 "gm/rsb", "tman/pol", "tman/sdr", "tman/mbs", "tman/pdr", "tman/dvt",
                 "ipnat/latch", "ipdc/realm", "li/LICn", "li/LITID", "hangterm/timerx",
                 "nt/jit", "x-vendor/flag"]),
    V = fun() -> pick(["on", "off", "2e", "0", "12000", "192.0.2.0/24", "ff00ff00ff00ff00",
                       "core", "a b", "x:y", "Mixed_Case"]) end,
    case rand:uniform(8) of
        1 -> pp(Name, some(3, V), {sublist, true});
        2 -> pp(Name, [V(), V()] ++ some(2, V), {sublist, false});
        3 -> pp(Name, [integer_to_list(r_int(0, 99)), integer_to_list(r_int(100, 9999))],
                {range, true});
        4 -> pp(Name, [V()], {relation, pick([greaterThan, smallerThan, unequalTo])});
        _ -> pp(Name, V())
    end.

r_sdp() ->
    Fam = pick(["IP4", "IP6"]),
    Addr = case {Fam, rand:uniform(3)} of
               {_, 1} -> "$";
               {"IP4", _} -> pick(["192.0.2.7", "198.51.100.200", "10.0.0.1"]);
               {"IP6", _} -> pick(["2001:db8::1", "::1", "2001:db8:0:1::5"])
           end,
    Port = pick(["$", "-", integer_to_list(r_int(1024, 65534))]),
    Lines = [{"v", "0"}] ++
        pick([[], [{"o", "- " ++ integer_to_list(r_int(1, 99999)) ++ " 1 IN " ++ Fam ++ " " ++
                    case Addr of "$" -> "0.0.0.0"; _ -> Addr end}, {"s", "-"}]]) ++
        [{"c", "IN " ++ Fam ++ " " ++ Addr}] ++ pick([[], [{"t", "0 0"}]]) ++
        [{"m", "audio " ++ Port ++ " RTP/AVP " ++ pick(["0", "0 8", "8 101", "96"])}] ++
        pick([[], [{"b", "AS:" ++ integer_to_list(r_int(8, 2000))}]]) ++
        some(3, fun() -> {"a", pick(["ptime:20", "rtpmap:0 PCMU/8000", "sendrecv",
                                     "rtpmap:96 AMR/8000/1", "fmtp:101 0-15", "x-foo"])} end),
    sdp(Lines).

r_events() ->
    #'EventsDescriptor'{requestID = r_int(1, 65535),
                        eventList = some(2, fun() ->
                            #'RequestedEvent'{pkgdName = pick(["it/ito", "hangterm/thb",
                                                               "nt/netfail", "nt/qualert"]),
                                evParList = some(1, fun() -> #'EventParameter'{
                                    eventParameterName = pick(["mit", "timerx", "th"]),
                                    value = [integer_to_list(r_int(0, 65535))]} end)}
                        end)}.

r_signal() ->
    {signal, #'Signal'{signalName = pick(["cg/rt", "cg/bt", "al/ri"]),
                       sigType = pick([asn1_NOVALUE, brief, onOff, timeOut]),
                       duration = opt(fun() -> r_int(1, 65535) end)}}.

r_observed() ->
    #'ObservedEvent'{eventName = pick(["it/ito", "hangterm/thb", "nt/netfail"]),
                     timeNotation = opt(fun tnote/0),
                     eventParList = pick([[], [#'EventParameter'{eventParameterName = "timerx",
                                                                 value = ["30"]}]])}.

r_sc_parm() ->
    (sc_parm(pick([restart, forced, graceful, failover, disconnected, handOff]),
             pick(["900", "901", "902", "905", "908", "915"])))#'ServiceChangeParm'{
        serviceChangeDelay = opt(fun() -> r_int(0, 3600) end),
        serviceChangeVersion = opt(fun() -> r_int(1, 3) end),
        serviceChangeProfile = opt(fun profile/0),
        serviceChangeMgcId = pick([asn1_NOVALUE, mgc4(), middom()]),
        timeStamp = opt(fun tnote/0)}.

r_action_reply() ->
    Cmds = some(3, fun r_command_reply/0),
    case rand:uniform(6) of
        1 -> #'ActionReply'{contextId = r_ctx(), commandReply = Cmds,
                            errorDescriptor = err(pick([400, 422, 434, 445, 510]),
                                                  pick(["Resource", "x y, z {a}", "ok"]))};
        _ -> areply(r_int(1, 4294967293), Cmds)
    end.

r_command_reply() ->
    T = r_tid(),
    case rand:uniform(5) of
        1 -> {addReply, amms(T, pick([[], [{mediaDescriptor, r_media()}]]))};
        2 -> {modReply, amms(T, [])};
        3 -> {subtractReply, amms(T, pick([[], [{statisticsDescriptor,
                                               call_stats(r_int(1, 9))}]]))};
        4 -> {notifyReply, #'NotifyReply'{terminationID = [tid(T)]}};
        5 -> {moveReply, amms(T, [])}
    end.
