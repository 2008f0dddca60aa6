%% megaco_bench - decodes/s and encodes/s of Erlang/OTP megaco's text codec, the reference
%% bgf's codec is measured against (bench/h248/run.sh runs both on the same messages).
%%
%%   erl +S 1 -noshell -pa EBIN -run megaco_bench main SECONDS ROUNDS FILE...
%%
%% Prints, for each FILE and for the mix of all files in turn, the best of ROUNDS runs of
%% SECONDS each (as bgf's harness does):
%%   erlang-plain NAME decode RATE    megaco's Erlang scanner
%%   erlang-flex  NAME decode RATE    megaco's flex scanner driver (when it loads)
%%   erlang       NAME encode RATE    pretty or compact encoder, the file's form
%% The flex line is left out, with a note on standard error, when the driver cannot start.
-module(megaco_bench).
-export([main/1]).

main([SecsS, RoundsS | Files]) ->
    Secs = list_to_float_or_int(SecsS),
    put(rounds, list_to_integer(RoundsS)),
    ok = megaco:start(),
    Msgs = [load(F) || F <- Files],
    Flex = case catch megaco_flex_scanner:start() of
               {ok, Port} -> {ok, [{flex, Port}]};
               Other ->
                   io:format(standard_error, "megaco flex scanner unavailable: ~p~n", [Other]),
                   none
           end,
    lists:foreach(fun(M) -> one(M, Secs, Flex) end, Msgs),
    one({"mix", Msgs}, Secs, Flex),
    halt(0).

list_to_float_or_int(S) ->
    case string:to_float(S) of
        {F, ""} -> F;
        _ -> list_to_integer(S)
    end.

load(File) ->
    {ok, Bin} = file:read_file(File),
    Name = filename:basename(File),
    Enc = case lists:suffix(".compact", Name) of
              true -> megaco_compact_text_encoder;
              false -> megaco_pretty_text_encoder
          end,
    {ok, Rec} = megaco_pretty_text_encoder:decode_message([], dynamic, Bin),
    V = element(2, element(3, Rec)),
    {ok, _} = Enc:encode_message([], V, Rec),
    {Name, Bin, Enc, V, Rec}.

one({"mix", Msgs}, Secs, Flex) ->
    report("mix", Msgs, Secs, Flex);
one({Name, _, _, _, _} = M, Secs, Flex) ->
    report(Name, [M], Secs, Flex).

report(Name, Msgs, Secs, Flex) ->
    Bins = list_to_tuple([B || {_, B, _, _, _} <- Msgs]),
    Encs = list_to_tuple([{E, V, R} || {_, _, E, V, R} <- Msgs]),
    line("erlang-plain", Name, decode, rate(fun(I) -> decode([], element(I, Bins)) end,
                                            tuple_size(Bins), Secs)),
    case Flex of
        {ok, Cfg} ->
            line("erlang-flex", Name, decode, rate(fun(I) -> decode(Cfg, element(I, Bins)) end,
                                                   tuple_size(Bins), Secs));
        none -> ok
    end,
    line("erlang", Name, encode, rate(fun(I) -> {E, V, R} = element(I, Encs),
                                                 {ok, _} = E:encode_message([], V, R)
                                      end, tuple_size(Encs), Secs)).

decode(Cfg, Bin) ->
    {ok, _} = megaco_pretty_text_encoder:decode_message(Cfg, dynamic, Bin).

line(Who, Name, What, Rate) ->
    io:format("~s ~s ~s ~b~n", [Who, Name, What, round(Rate)]).

%% Call F(1..N) in turn until Secs of CPU time have passed; calls per CPU second, best of the
%% rounds. CPU time is the runtime system's (statistics(runtime), all its threads; with +S 1
%% the one scheduler does the work), so time spent waiting for the core does not count.
rate(F, N, Secs) ->
    lists:max([rate1(F, N, Secs) || _ <- lists:seq(1, get(rounds))]).

rate1(F, N, Secs) ->
    {T0, _} = statistics(runtime),
    loop(F, N, T0, T0 + round(Secs * 1000), 0).

loop(F, N, T0, End, Done) ->
    batch(F, N, Done, 64),
    {Now, _} = statistics(runtime),
    case Now >= End of
        true -> (Done + 64) / ((Now - T0) / 1000);
        false -> loop(F, N, T0, End, Done + 64)
    end.

batch(_, _, _, 0) -> ok;
batch(F, N, I, K) ->
    F(1 + I rem N),
    batch(F, N, I + 1, K - 1).
