%% bgf_corpus - generates the H.248 interoperability corpus with Erlang/OTP's megaco encoders.
%%
%% Every message is built as megaco records (bgf_corpus_body.hrl) and encoded by
%% megaco_pretty_text_encoder and megaco_compact_text_encoder for versions 1, 2 and 3.
%% Each encoding is checked to decode again in megaco before it is written, so the corpus
%% only holds text megaco itself stands behind.
%%
%% To the named messages it adds random ones (bgf_random_body.hrl), reproducible from a seed:
%% BGF_CORPUS_RANDOM of them per version (default 15), BGF_CORPUS_SEED (default 20261125).
%% A random draw that megaco cannot encode or read back is dropped; a named message that
%% megaco cannot is an error.
%%
%%   erl -noshell -pa DIR -run bgf_corpus main OUTDIR
%% writes OUTDIR/NAME.vN.pretty and OUTDIR/NAME.vN.compact, one message per file.
-module(bgf_corpus).
-export([main/1, all/0, encode/3, decode/1, decode/2, start/0]).

%% megaco must run for its encoders to find their configuration.
start() ->
    case megaco:start() of
        ok -> ok;
        {error, {already_started, _}} -> ok;
        Other -> erlang:error({megaco_start, Other})
    end.

%% [{Name, Version, Record}] over the three versions.
all() ->
    [{Name, V, Msg} || {V, Mod} <- [{1, bgf_corpus_v1}, {2, bgf_corpus_v2}, {3, bgf_corpus_v3}],
                       {Name, Msg} <- Mod:entries()].

encoder(pretty) -> megaco_pretty_text_encoder;
encoder(compact) -> megaco_compact_text_encoder.

encode(Form, V, Msg) ->
    case catch (encoder(Form)):encode_message([], V, Msg) of
        {ok, Bin} when is_binary(Bin) -> {ok, Bin};
        {ok, IoList} -> {ok, iolist_to_binary(IoList)};
        Err -> {error, Err}
    end.

%% Decoding takes the version from the header; the pretty and compact decoders share one
%% scanner and parser and accept both forms.
decode(Bin) -> decode([], Bin).
decode(Config, Bin) ->
    case catch megaco_pretty_text_encoder:decode_message(Config, dynamic, Bin) of
        {ok, Msg} -> {ok, Msg};
        Err -> {error, Err}
    end.

main([Dir]) ->
    start(),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    N = lists:foldl(fun({Name, V, Msg}, Acc) ->
                            Acc + write(Dir, Name, V, Msg, pretty) + write(Dir, Name, V, Msg, compact)
                    end, 0, all()),
    Seed = env_int("BGF_CORPUS_SEED", 20261125),
    Count = env_int("BGF_CORPUS_RANDOM", 15),
    {R, Dropped} = lists:foldl(
                     fun({Name, V, Msg}, {Ok, Bad}) ->
                             case {usable(V, Msg, pretty), usable(V, Msg, compact)} of
                                 {true, true} ->
                                     {Ok + write(Dir, Name, V, Msg, pretty)
                                         + write(Dir, Name, V, Msg, compact), Bad};
                                 _ -> {Ok, Bad + 1}
                             end
                     end, {0, 0}, random(Seed, Count)),
    io:format("~b messages written to ~s (~b of them random, seed ~b; ~b random draws "
              "megaco cannot round-trip dropped)~n", [N + R, Dir, R, Seed, Dropped]),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: bgf_corpus OUTDIR~n", []),
    halt(2).

env_int(Var, Default) ->
    case os:getenv(Var) of
        false -> Default;
        S -> list_to_integer(S)
    end.

%% Count random messages per version; each version draws from its own seed.
random(Seed, Count) ->
    [{Name, V, Msg} || {V, Mod} <- [{1, bgf_corpus_v1}, {2, bgf_corpus_v2}, {3, bgf_corpus_v3}],
                       {Name, Msg} <- Mod:random_entries({Seed, V, 7}, Count)].

usable(V, Msg, Form) ->
    case encode(Form, V, Msg) of
        {ok, Bin} -> element(1, decode(Bin)) == ok;
        _ -> false
    end.

%% megaco's decode error is {error, [{reason, R}, {token, ...}, {chars, ...}]}: R says why.
why({error, {error, L}}) when is_list(L) -> why({error, L});
why({error, L}) when is_list(L) ->
    case lists:keyfind(reason, 1, L) of {reason, R} -> R; false -> L end;
why(E) -> E.

write(Dir, Name, V, Msg, Form) ->
    File = filename:join(Dir, lists:flatten(io_lib:format("~s.v~b.~s", [Name, V, Form]))),
    case encode(Form, V, Msg) of
        {ok, Bin} ->
            case decode(Bin) of
                {ok, _} ->
                    ok = file:write_file(File, Bin),
                    1;
                Err ->
                    io:format(standard_error, "~s: megaco cannot decode its own encoding: ~P~n~s~n",
                              [File, why(Err), 20, Bin]),
                    halt(1)
            end;
        Err ->
            io:format(standard_error, "~s: megaco cannot encode: ~P~n", [File, Err, 12]),
            halt(1)
    end.
