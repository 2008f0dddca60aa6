%% bgf_interop - TAP test: bgf's H.248 codec against Erlang/OTP's megaco, both ways.
%%
%% For every message of the corpus (bgf_corpus, written by tests/h248/gen_corpus):
%%   1. megaco -> bgf: `bgf-h248 check` accepts megaco's encoding;
%%   2. bgf -> megaco: `bgf-h248 pretty` re-encodes it in the pretty form (long tokens), and
%%      megaco decodes that to the same message record as megaco's own encoding;
%%   3. the same for `bgf-h248 compact` (short tokens).
%%
%% "The same message record": the record megaco decodes from bgf's text is compared with =:=
%% to the record megaco decodes from its own encoding. The only normalisation is the one
%% megaco's decoder applies to both sides alike, which is what H.248 treats as equal: token
%% case and long/short forms, white space and line ends, and the case of package, property,
%% event, statistic and termination names (megaco lowercases them). Everything else must match
%% exactly: every value (case kept), SDP line, id, number, order and parameter.
%%
%%   erl -noshell -pa EBIN -run bgf_interop main BGF_H248 CORPUS_DIR
-module(bgf_interop).
-export([main/1, first_diff/2]).

main([Bgf, Dir]) ->
    bgf_corpus:start(),
    Files = lists:sort(filelib:wildcard(filename:join(Dir, "*.v[123].*"))),
    Names = lists:usort([hd(string:split(filename:basename(F), ".")) || F <- Files]),
    io:format("1..~b~n", [1 + 3 * length(Files)]),
    Named = [N || N <- Names, not lists:prefix("random_", N)],
    tap(1, length(Named) >= 20,
        io_lib:format("the corpus holds at least 20 distinct named messages (~b named, ~b "
                      "random, ~b encodings)",
                      [length(Named), length(Names) - length(Named), length(Files)]), []),
    Tmp = filename:join(Dir, "bgf-out"),
    ok = filelib:ensure_dir(filename:join(Tmp, "x")),
    Fails = lists:foldl(fun({I, F}, Acc) -> Acc + one(Bgf, Tmp, I, F) end, 0,
                        lists:zip(lists:seq(0, length(Files) - 1), Files)),
    halt(if Fails == 0 -> 0; true -> 1 end);
main(_) ->
    io:format(standard_error, "usage: bgf_interop BGF_H248 CORPUS_DIR~n", []),
    halt(2).

%% Three results for one corpus file; returns how many failed.
one(Bgf, Tmp, I, File) ->
    Base = filename:basename(File),
    N = 2 + 3 * I,
    {ok, Orig} = file:read_file(File),
    {ok, Ref} = bgf_corpus:decode(Orig),
    {CS, COut, CErr} = run(Bgf, Tmp, ["check", File]),
    F1 = tap(N, CS == 0, ["bgf decodes megaco's ", Base],
             diag(CS, COut, CErr)),
    F2 = reencoded(Bgf, Tmp, N + 1, File, Base, "pretty", <<"MEGACO/">>, Ref),
    F3 = reencoded(Bgf, Tmp, N + 2, File, Base, "compact", <<"!/">>, Ref),
    F1 + F2 + F3.

reencoded(Bgf, Tmp, N, File, Base, Form, Head, Ref) ->
    Name = ["megaco decodes bgf's ", Form, " re-encoding of ", Base, " to the same message"],
    case run(Bgf, Tmp, [Form, File]) of
        {0, Out, _} ->
            HeadOk = has_head(Out, Head),
            case bgf_corpus:decode(Out) of
                {ok, Got} ->
                    Same = Ref =:= Got,
                    Why = case {Same, HeadOk} of
                              {true, true} -> [];
                              {_, false} -> [io_lib:format("output does not start with ~s", [Head])];
                              {false, _} ->
                                  {Path, X, Y} = first_diff(Ref, Got),
                                  [io_lib:format("differs at ~w:", [Path]),
                                   io_lib:format("  megaco's: ~P", [X, 20]),
                                   io_lib:format("  bgf's:    ~P", [Y, 20])]
                          end,
                    tap(N, Same andalso HeadOk, Name, Why ++ text(Out));
                {error, Err} ->
                    tap(N, false, Name,
                        [io_lib:format("megaco cannot decode it: ~P", [why(Err), 14])] ++ text(Out))
            end;
        {S, Out, Err} ->
            tap(N, false, Name, diag(S, Out, Err))
    end.

%% megaco's decode error is {error, [{reason, R}, {token, ...}, {chars, ...}]}: R says why.
why({error, {error, L}}) when is_list(L) -> why({error, L});
why({error, L}) when is_list(L) ->
    case lists:keyfind(reason, 1, L) of {reason, R} -> R; false -> L end;
why(E) -> E.

%% The message header in the form's spelling (MEGACO/ or !/), after an optional
%% authentication header, itself in the form's spelling (Authentication or AU).
has_head(Out, Head) ->
    Auth = case Head of <<"MEGACO/">> -> "AUTHENTICATION"; <<"!/">> -> "AU" end,
    Re = "^\\s*(?:(" ++ Auth ++ ")\\s*=\\s*0x[0-9a-f]+:0x[0-9a-f]+:0x[0-9a-f]+\\s+)?(.*)$",
    case re:run(Out, Re, [caseless, dotall, {capture, all_but_first, binary}]) of
        {match, [_, Rest]} ->
            byte_size(Rest) >= byte_size(Head) andalso
                string:uppercase(binary:part(Rest, 0, byte_size(Head))) =:= Head;
        _ -> false
    end.

%% Run bgf-h248 with Args; returns {ExitStatus, Stdout, Stderr}.
run(Bgf, Tmp, Args) ->
    ErrFile = filename:join(Tmp, "stderr"),
    Port = open_port({spawn_executable, "/bin/sh"},
                     [{args, ["-c", "f=$1; shift; exec \"$@\" 2>\"$f\" </dev/null", "sh",
                              ErrFile, Bgf | Args]},
                      exit_status, binary, stream]),
    {Status, Out} = collect(Port, []),
    Err = case file:read_file(ErrFile) of {ok, E} -> E; _ -> <<>> end,
    {Status, Out, Err}.

collect(Port, Acc) ->
    receive
        {Port, {data, D}} -> collect(Port, [Acc, D]);
        {Port, {exit_status, S}} -> {S, iolist_to_binary(Acc)}
    after 10000 ->
        catch port_close(Port),
        {timeout, iolist_to_binary(Acc)}
    end.

diag(S, Out, Err) ->
    [io_lib:format("bgf-h248 exit status ~p", [S])] ++ text(Err) ++ text(Out).

text(Bin) ->
    Lines = string:split(Bin, "\n", all),
    Shown = lists:sublist(Lines, 40),
    ["| " ++ unicode:characters_to_list(L) || L <- Shown, L =/= <<>>].

tap(N, true, Name, _Diag) ->
    io:format("ok ~b - ~s~n", [N, Name]),
    0;
tap(N, false, Name, Diag) ->
    io:format("not ok ~b - ~s~n", [N, Name]),
    [io:format("# ~s~n", [L]) || D <- Diag, L <- string:split(lists:flatten(D), "\n", all)],
    1.

%%------------------------------------------------------------------------------------------
%% A readable first difference.

%% {Path, A, B}: the first place where the terms differ; Path names record fields by
%% record name and position.
first_diff(A, A) -> {[], same, same};
first_diff([C | _] = A, [D | _] = B) when is_integer(C), is_integer(D) -> {[], A, B};
first_diff(A, B) when is_tuple(A), is_tuple(B), tuple_size(A) == tuple_size(B),
                      element(1, A) =:= element(1, B) ->
    diff_elems(tl(tuple_to_list(A)), tl(tuple_to_list(B)), element(1, A), 2);
first_diff(A, B) when is_list(A), is_list(B), length(A) == length(B) ->
    diff_elems(A, B, list, 1);
first_diff(A, B) -> {[], A, B}.

diff_elems([X | Xs], [X | Ys], Tag, I) -> diff_elems(Xs, Ys, Tag, I + 1);
diff_elems([X | _], [Y | _], Tag, I) ->
    {P, DA, DB} = first_diff(X, Y),
    {[{Tag, I} | P], DA, DB};
diff_elems(_, _, _, _) -> {[], same, same}.
