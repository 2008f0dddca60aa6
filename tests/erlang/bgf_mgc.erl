%% bgf_mgc - a media gateway controller on Erlang/OTP's megaco stack that drives a real bgfd:
%% registration, a call set-up, a mid-call change and a release, over UDP and over TCP, in
%% pretty and in compact text. It speaks TAP on standard output.
%%
%%   erl -noshell -pa EBIN -run bgf_mgc main BGFD WORKDIR PORT_BASE MEDIA_MIN MEDIA_MAX [ONLY]
%%
%% For each scenario {Transport, Form, Family} (UDP and TCP in both forms over IPv4, and TCP
%% over IPv6, where SDP and the media are IPv6 too) it opens megaco's transport (megaco_udp or
%% megaco_tcp) on its own port as an MGC user, writes a bgfd configuration naming that MGC,
%% starts bgfd, and then, as an MGC does:
%%   1. takes bgfd's ServiceChange (ROOT, Restart, 901, with profile and version) and answers;
%%   2. audits ROOT's Packages;
%%   3. sets up a call: one transaction, context $, two Adds of ip/... $ terminations with
%%      Local (c=IN IP4 $, m=audio $) and Remote SDP naming two "phones" (UDP sockets of this
%%      test); checks the chosen context, termination ids, address (the realm's) and ports
%%      (even, in the realm's range, distinct);
%%   4. media: phone A sends RTP to the first termination, phone B gets it from the second;
%%   5. modifies both terminations: the first gets a new Remote (phone A2) and SendOnly, the
%%      second ReceiveOnly;
%%   6. media: phone B sends to the second termination, the new Remote A2 gets it;
%%   7. releases: Subtract of both with Audit{Statistics}; the statistics count that media;
%%   8. stops bgfd with SIGTERM and takes its ServiceChange Graceful 905.
%% Every reply is checked for its kind and ids, and refused if an Error descriptor appears
%% anywhere in it (transaction, action or command level).
%% Scenario i uses MGC port PORT_BASE+i, bgfd control port PORT_BASE+50+i and a fifth of
%% the media range: bgfd's realm gets its lower half, the phones the upper half.
%% ONLY (udp-pretty, tcp-compact, tcp6-compact, ...) runs one scenario.
-module(bgf_mgc).
-behaviour(megaco_user).

-include_lib("megaco/include/megaco.hrl").
-include_lib("megaco/include/megaco_message_v3.hrl").

-export([main/1, errors/1]).
-export([handle_connect/3, handle_disconnect/4, handle_syntax_error/4,
         handle_message_error/4, handle_trans_request/4, handle_trans_long_request/4,
         handle_trans_reply/5, handle_trans_ack/5, handle_unexpected_trans/4,
         handle_trans_request_abort/5, handle_segment_reply/6]).

%% IPv6 runs over TCP only: megaco 4.4's megaco_udp cannot answer an IPv6 sender
%% (create_send_handle resolves the peer with inet:getaddr(Addr, inet): eafnosupport).
-define(SCENARIOS, [{udp, pretty, inet}, {udp, compact, inet}, {tcp, pretty, inet},
                    {tcp, compact, inet}, {tcp, compact, inet6}]).
-define(CHECKS, 10).                        % TAP results per scenario: one per step, Topology two
-define(PACKETS, 20).                       % RTP packets sent in each media check
-define(REG_TIMEOUT, 15000).                % bgfd start + first ServiceChange
-define(GRACEFUL_TIMEOUT, 10000).

%%------------------------------------------------------------------------------------------
%% Entry point

main([Bgfd, Dir, BaseS, MinS, MaxS | Only]) ->
    Base = list_to_integer(BaseS),
    Min = list_to_integer(MinS), Max = list_to_integer(MaxS),
    ok = case megaco:start() of ok -> ok; {error, {already_started, _}} -> ok end,
    %% megaco's and OTP's reports go to standard error, away from the TAP stream
    ok = logger:remove_handler(default),
    ok = logger:add_handler(default, logger_std_h, #{config => #{type => standard_error}}),
    NS = length(?SCENARIOS),
    Scen = [{I, S} || {I, S} <- lists:zip(lists:seq(0, NS - 1), ?SCENARIOS),
                      Only == [] orelse [label(S)] == Only],
    io:format("1..~b~n", [?CHECKS * length(Scen)]),
    put(tap, 0), put(failed, 0),
    Span = (Max - Min + 1) div NS,
    [scenario(Bgfd, Dir, S, Base + I, Base + 50 + I, Min + I * Span, Min + I * Span + Span - 1)
     || {I, S} <- Scen],
    halt(case get(failed) of 0 -> 0; _ -> 1 end).

label({T, F, inet}) -> atom_to_list(T) ++ "-" ++ atom_to_list(F);
label({T, F, inet6}) -> atom_to_list(T) ++ "6-" ++ atom_to_list(F).

%% The loopback address of the scenario's family (set per scenario in the dictionary).
lo_ip() -> case get(family) of inet -> {127, 0, 0, 1}; inet6 -> {0, 0, 0, 0, 0, 0, 0, 1} end.
lo_str() -> case get(family) of inet -> "127.0.0.1"; inet6 -> "::1" end.
lo_mid() -> case get(family) of inet -> "[127.0.0.1]"; inet6 -> "[::1]" end.
sdp_fam() -> case get(family) of inet -> "IP4"; inet6 -> "IP6" end.
fam_opts() -> case get(family) of inet -> []; inet6 -> [inet6] end.

%%------------------------------------------------------------------------------------------
%% One scenario: every step is a TAP result; a step that cannot run (an earlier one failed
%% in a way it depends on) is reported as failed with the reason.

scenario(Bgfd, Dir, {Tr, Form, Fam} = S, MgcPort, MgPort, MediaMin, MediaMax) ->
    L = label(S),
    put(family, Fam),
    Mid = case Fam of
              inet -> {ip4Address, #'IP4Address'{address = [127, 0, 0, 1], portNumber = MgcPort}};
              inet6 -> {ip6Address, #'IP6Address'{address = lists:duplicate(15, 0) ++ [1],
                                                  portNumber = MgcPort}}
          end,
    ok = megaco:start_user(Mid, user_config(Form)),
    RH = megaco:user_info(Mid, receive_handle),
    Transport = open_transport(Tr, MgcPort, RH),
    Conf = filename:join(Dir, "bgfd-" ++ L ++ ".conf"),
    Log = filename:join(Dir, "bgfd-" ++ L ++ ".log"),
    RealmMax = MediaMin + (MediaMax - MediaMin + 1) div 2 - 1,
    Phones = [{Ph, phone(RealmMax + 1 + 2 * I)} || {I, Ph} <- [{0, a}, {1, b}, {2, a2}]],
    ok = file:write_file(Conf, bgfd_config(Tr, MgcPort, MgPort, MediaMin, RealmMax)),
    {Port, OsPid} = start_bgfd(Bgfd, Conf, Log),
    Ctx = maps:merge(#{label => L, tr => Tr, min => MediaMin, max => RealmMax},
                     maps:from_list(Phones)),
    Steps = [{"registration", fun registration/1}, {"audit of ROOT", fun audit_packages/1},
             {"call set-up", fun add_call/1}, {"media after set-up", fun media_forward/1},
             {"Modify", fun modify_call/1}, {"media after Modify", fun media_back/1},
             {"Topology", fun topology_call/1},
             {"Subtract", fun subtract_call/1}],
    Ctx2 = run_steps(Steps, Ctx#{os_pid => OsPid}),
    graceful(Ctx2, OsPid),
    stop_bgfd(Port, OsPid),
    case maps:get(conn, Ctx2, undefined) of
        undefined -> ok;
        CH -> catch megaco:disconnect(CH, test_done)
    end,
    close_transport(Transport),
    [gen_udp:close(Sock) || {_, {Sock, _}} <- Phones],
    catch megaco:stop_user(Mid),
    report_log(Log),
    ok.

%% Each step returns {ok, Ctx} or {fail, Why}; a failed step fails all that follow.
run_steps([], Ctx) -> Ctx;
run_steps([{_, Step} | Rest], Ctx) ->
    case catch Step(Ctx) of
        {ok, Ctx2} -> run_steps(Rest, Ctx2);
        Other ->
            Why = case Other of {fail, W} -> W; _ -> io_lib:format("crashed: ~P", [Other, 20]) end,
            diag(Why),
            [skip_fail(Ctx, Name) || {Name, _} <- Rest],
            Ctx#{broken => true}
    end.

skip_fail(#{label := L}, Name) ->
    tap(false, io_lib:format("~s: ~s (not run: an earlier step failed)", [L, Name])).

%%------------------------------------------------------------------------------------------
%% Steps

registration(#{label := L, tr := Tr} = Ctx) ->
    receive
        {service_change, CH, _PV, Tids, Parm} ->
            Method = sc_field(#'ServiceChangeParm'.serviceChangeMethod, Parm),
            Reason = sc_field(#'ServiceChangeParm'.serviceChangeReason, Parm),
            Prof = sc_field(#'ServiceChangeParm'.serviceChangeProfile, Parm),
            Ver = sc_field(#'ServiceChangeParm'.serviceChangeVersion, Parm),
            Ok = Tids == [?megaco_root_termination_id] andalso Method == restart andalso
                     reason_code(Reason) == "901" andalso
                     is_record(Prof, 'ServiceChangeProfile') andalso
                     Prof#'ServiceChangeProfile'.profileName =/= "" andalso
                     is_integer(Ver) andalso Ver >= 1 andalso Ver =< 3,
            tap(Ok, reg_name(L, Tr)),
            case Ok of
                true -> {ok, Ctx#{conn => CH}};
                false -> {fail, io_lib:format("got ~p ~p ~p ~p ~p", [Tids, Method, Reason,
                                                                     Prof, Ver])}
            end
    after ?REG_TIMEOUT ->
        tap(false, reg_name(L, Tr)),
        {fail, "no ServiceChange from bgfd within 15 s"}
    end.

%% A registration may come in a MEGACO/1 message (ServiceChangeVersion says what the MG
%% speaks), and megaco's v1 records are shorter than the v3 ones this module includes: the
%% fields both share are read by position.
sc_field(Index, Parm) when is_tuple(Parm), element(1, Parm) == 'ServiceChangeParm' ->
    element(Index, Parm).

reg_name(L, Tr) ->
    io_lib:format("~s: bgfd registers over ~s: ServiceChange on ROOT, Method=Restart, "
                  "Reason=901, with a profile and a version 1..3", [L, Tr]).

audit_packages(#{label := L, conn := CH} = Ctx) ->
    Req = #'ActionRequest'{contextId = ?megaco_null_context_id, commandRequests = [
            #'CommandRequest'{command = {auditValueRequest, #'AuditRequest'{
                terminationID = ?megaco_root_termination_id,
                auditDescriptor = #'AuditDescriptor'{auditToken = [packagesToken]}}}}]},
    Want = ["ds", "gm", "ipnat", "tman", "it", "hangterm", "nt", "rtp", "li"],
    Name = io_lib:format("~s: AuditValue on ROOT returns Packages with ~s, each with a version",
                         [L, string:join(Want, ", ")]),
    case call(CH, [Req]) of
        {ok, [#'ActionReply'{errorDescriptor = asn1_NOVALUE,
                             commandReply = [{auditValueReply, {auditResult,
                                 #'AuditResult'{terminationAuditResult = Res}}}]}]} ->
            Pkgs = lists:append([P || {packagesDescriptor, P} <- Res]),
            Got = [{N, V} || #'PackagesItem'{packageName = N, packageVersion = V} <- Pkgs],
            Missing = [W || W <- Want, not lists:keymember(W, 1, Got)],
            BadV = [G || {_, V} = G <- Got, not (is_integer(V) andalso V >= 1)],
            Ok = Missing == [] andalso BadV == [],
            tap(Ok, Name),
            Ok orelse diag(io_lib:format("packages ~p; missing ~p", [Got, Missing])),
            {ok, Ctx};
        Other ->
            tap(false, Name),
            diag(io_lib:format("reply: ~P", [Other, 30])),
            {ok, Ctx}
    end.

add_call(#{label := L, conn := CH, min := Min, max := Max, a := {_, PA}, b := {_, PB}} = Ctx) ->
    Add = fun(Realm, RemotePort) ->
                  #'CommandRequest'{command = {addReq, #'AmmRequest'{
                      terminationID = [tid("ip/1/" ++ Realm ++ "/$")],
                      descriptors = [{mediaDescriptor, media(sendRecv,
                          sdp([{"v", "0"}, {"c", "IN " ++ sdp_fam() ++ " $"},
                               {"m", "audio $ RTP/AVP 0"}]),
                          remote_sdp(lo_str(), RemotePort))}]}}}
          end,
    Req = #'ActionRequest'{contextId = ?megaco_choose_context_id,
                           commandRequests = [Add("core", PA), Add("core", PB)]},
    Name = io_lib:format("~s: a call is set up: two Adds of $ terminations with SDP in "
                         "context $ get a context, termination ids, ~s and even ports "
                         "in ~b-~b", [L, lo_str(), Min, Max]),
    case call(CH, [Req]) of
        {ok, [#'ActionReply'{contextId = C, errorDescriptor = asn1_NOVALUE,
                             commandReply = Replies}]} ->
            Terms = [added(R) || R <- Replies],
            Checks = [{"context id is a number", is_integer(C) andalso C > 0 andalso
                          C < ?megaco_choose_context_id},
                      {"two add replies", length(Terms) == 2},
                      {"termination ids chosen", lists:all(fun({T, _, _}) -> chosen(T) end, Terms)},
                      {"distinct termination ids", length(lists:usort([T || {T, _, _} <- Terms])) == 2},
                      {"local address " ++ lo_str(),
                       lists:all(fun({_, A, _}) -> A == lo_str() end, Terms)},
                      {"even ports in range", lists:all(fun({_, _, P}) ->
                          is_integer(P) andalso P rem 2 == 0 andalso P >= Min andalso P < Max
                                                        end, Terms)},
                      {"distinct ports", length(lists:usort([P || {_, _, P} <- Terms])) == 2}],
            Bad = [W || {W, false} <- Checks],
            tap(Bad == [], Name),
            Bad == [] orelse diag(io_lib:format("failed: ~p; context ~p, terminations ~p",
                                                [Bad, C, Terms])),
            case Bad of
                [] -> {ok, Ctx#{ctx => C, terms => [T || {T, _, _} <- Terms],
                                ports => [P || {_, _, P} <- Terms]}};
                _ -> {fail, "the call was not set up"}
            end;
        Other ->
            tap(false, Name),
            {fail, io_lib:format("reply: ~P", [Other, 40])}
    end.

modify_call(#{label := L, conn := CH, ctx := C, terms := [T1, T2], a2 := {_, PA2}} = Ctx) ->
    Mod = fun(T, Mode, Remote) ->
                  #'CommandRequest'{command = {modReq, #'AmmRequest'{terminationID = [T],
                      descriptors = [{mediaDescriptor, media(Mode, asn1_NOVALUE, Remote)}]}}}
          end,
    Req = #'ActionRequest'{contextId = C, commandRequests =
               [Mod(T1, sendOnly, remote_sdp(lo_str(), PA2)),
                Mod(T2, recvOnly, asn1_NOVALUE)]},
    Name = io_lib:format("~s: Modify of both terminations (new Remote, SendOnly / "
                         "ReceiveOnly) is answered for each without error", [L]),
    case call(CH, [Req]) of
        {ok, [#'ActionReply'{contextId = C, errorDescriptor = asn1_NOVALUE,
                             commandReply = [{modReply, #'AmmsReply'{terminationID = [T1]}},
                                             {modReply, #'AmmsReply'{terminationID = [T2]}}]}]} ->
            tap(true, Name),
            {ok, Ctx};
        Other ->
            tap(false, Name),
            diag(io_lib:format("reply: ~P", [Other, 40])),
            {ok, Ctx}
    end.

%% Topology in the action (with a Modify that changes nothing): Isolate stops the media
%% between the two terminations, Bothway brings it back.
topology_call(#{label := L, conn := CH, ctx := C, terms := [T1, T2], ports := [P1, P2],
                b := {SB, _}, a2 := {SA2, _}} = Ctx) ->
    Req = fun(Dir) ->
                  #'ActionRequest'{contextId = C,
                      contextRequest = #'ContextRequest'{topologyReq = [
                          #'TopologyRequest'{terminationFrom = T1, terminationTo = T2,
                                             topologyDirection = Dir}]},
                      commandRequests = [#'CommandRequest'{command = {modReq,
                          #'AmmRequest'{terminationID = [T2], descriptors = []}}}]}
          end,
    Answered = fun(R) ->
                       case call(CH, [R]) of
                           {ok, [#'ActionReply'{contextId = C, errorDescriptor = asn1_NOVALUE,
                                                commandReply = [{modReply, _}]}]} -> true;
                           Other -> diag(io_lib:format("reply: ~P", [Other, 40])), false
                       end
               end,
    Iso = Answered(Req(isolate)),
    flush(SA2),
    send_rtp(SB, P2, 54321, 5),
    Leaked = receive_rtp(SA2, 54321, 1, 300),
    tap(Iso andalso Leaked == [],
        io_lib:format("~s: Topology{T1, T2, Isolate} is answered and no packet to the second "
                      "termination reaches the first one's Remote", [L])),
    Both = Answered(Req(bothway)),
    Back = Both andalso media_check("", SB, P2, SA2, P1, true),
    tap(Back, io_lib:format("~s: Topology{T1, T2, Bothway} brings the media back", [L])),
    {ok, Ctx}.

subtract_call(#{label := L, conn := CH, ctx := C, terms := [T1, T2]} = Ctx) ->
    Sub = fun(T) ->
                  #'CommandRequest'{command = {subtractReq, #'SubtractRequest'{
                      terminationID = [T],
                      auditDescriptor = #'AuditDescriptor'{auditToken = [statsToken]}}}}
          end,
    Req = #'ActionRequest'{contextId = C, commandRequests = [Sub(T1), Sub(T2)]},
    Name = io_lib:format("~s: Subtract with Audit{Statistics} releases both terminations; "
                         "nt/os and nt/or of each count the media relayed", [L]),
    case call(CH, [Req]) of
        {ok, [#'ActionReply'{contextId = C, errorDescriptor = asn1_NOVALUE,
                             commandReply = Replies}]} ->
            Got = [{T, stats(A)} || {subtractReply,
                                     #'AmmsReply'{terminationID = [T],
                                                  terminationAudit = A}} <- Replies],
            %% A's packets entered at T1 and left at T2, B's entered at T2 and left at T1.
            Ok = length(Replies) == 2 andalso [T || {T, _} <- Got] == [T1, T2] andalso
                     lists:all(fun({_, S}) -> stat(S, "nt/os") > 0 andalso
                                                  stat(S, "nt/or") > 0 end, Got),
            tap(Ok, Name),
            Ok orelse diag(io_lib:format("replies: ~P", [Replies, 30])),
            {ok, Ctx};
        Other ->
            tap(false, Name),
            diag(io_lib:format("reply: ~P", [Other, 40])),
            {ok, Ctx}
    end.

%% Phone A sends RTP to the first termination's port; phone B must get every packet, from the
%% second termination's port.
media_forward(#{label := L, ports := [P1, P2], a := {SA, _}, b := {SB, _}} = Ctx) ->
    Name = io_lib:format("~s: media after set-up: ~b RTP packets from the first Remote to the "
                         "first termination reach the second Remote from the second "
                         "termination", [L, ?PACKETS]),
    media_check(Name, SA, P1, SB, P2),
    {ok, Ctx}.

%% After Modify: B sends to the second (ReceiveOnly) termination, the first (SendOnly) sends
%% to its new Remote A2; what A sends to the first (SendOnly: it receives nothing) goes
%% nowhere.
media_back(#{label := L, ports := [P1, P2], a := {SA, _}, b := {SB, _},
             a2 := {SA2, _}} = Ctx) ->
    Name = io_lib:format("~s: media after Modify: packets to the second termination reach the "
                         "first termination's new Remote; packets to the SendOnly first "
                         "termination are not relayed", [L]),
    Ok = media_check(Name, SB, P2, SA2, P1, false),
    flush(SB), flush(SA2),
    send_rtp(SA, P1, 12345, 5),
    Leaked = receive_rtp(SB, 12345, 1, 300) ++ receive_rtp(SA2, 12345, 1, 300),
    tap(Ok andalso Leaked == [], Name),
    Leaked == [] orelse diag(io_lib:format("~b packets sent to the SendOnly termination were "
                                           "relayed", [length(Leaked)])),
    {ok, Ctx}.

media_check(Name, From, ToPort, Rx, RelayPort) ->
    tap(media_check(Name, From, ToPort, Rx, RelayPort, true), Name).

send_rtp(From, ToPort, Ssrc, N) ->
    Payload = binary:copy(<<16#d5>>, 160),
    [begin
         ok = gen_udp:send(From, lo_ip(), ToPort,
                           <<2:2, 0:6, 0:1, 0:7, Seq:16, (Seq * 160):32, Ssrc:32, Payload/binary>>),
         timer:sleep(5)
     end || Seq <- lists:seq(1, N)],
    ok.

media_check(_Name, From, ToPort, Rx, RelayPort, _) ->
    flush(Rx),
    Ssrc = erlang:unique_integer([positive]) band 16#ffffffff,
    send_rtp(From, ToPort, Ssrc, ?PACKETS),
    Got = receive_rtp(Rx, Ssrc, ?PACKETS + 1, 500),
    Srcs = lists:usort([Src || {Src, _} <- Got]),
    Seqs = [Seq || {_, Seq} <- Got],
    Ok = Seqs == lists:seq(1, ?PACKETS) andalso Srcs == [{lo_ip(), RelayPort}],
    Ok orelse diag(io_lib:format("received ~b of ~b packets, sequence numbers ~w, from ~w "
                                 "(expected ~s:~b)",
                                 [length(Got), ?PACKETS, Seqs, Srcs, lo_str(), RelayPort])),
    Ok.

%% [{Source, Seq}] of the packets of Ssrc that arrive before Want of them have, or before
%% the line has been quiet for Quiet ms.
receive_rtp(Sock, Ssrc, Want, Quiet) -> receive_rtp(Sock, Ssrc, Want, Quiet, []).

receive_rtp(_Sock, _Ssrc, Want, _Quiet, Acc) when length(Acc) >= Want -> lists:reverse(Acc);
receive_rtp(Sock, Ssrc, Want, Quiet, Acc) ->
    case gen_udp:recv(Sock, 0, Quiet) of
        {ok, {Ip, Port, <<2:2, _:14, Seq:16, _:32, Ssrc:32, _/binary>>}} ->
            receive_rtp(Sock, Ssrc, Want, Quiet, [{{Ip, Port}, Seq} | Acc]);
        {ok, _} -> receive_rtp(Sock, Ssrc, Want, Quiet, Acc);
        {error, timeout} -> lists:reverse(Acc)
    end.

flush(Sock) ->
    case gen_udp:recv(Sock, 0, 0) of {ok, _} -> flush(Sock); _ -> ok end.

phone(Port) ->
    %% Erlang's default receive buffer (16 KiB) holds fewer packets than a check sends.
    {ok, S} = gen_udp:open(Port, fam_opts() ++ [binary, {ip, lo_ip()}, {active, false},
                                  {recbuf, 1 bsl 20}]),
    {S, Port}.

%% SIGTERM: bgfd leaves with ServiceChange Graceful, Reason 905.
graceful(#{label := L} = Ctx, OsPid) ->
    Name = io_lib:format("~s: on SIGTERM bgfd sends ServiceChange Graceful, Reason=905", [L]),
    case maps:is_key(conn, Ctx) of
        false ->
            tap(false, Name ++ " (not run: bgfd did not register)");
        true ->
            os:cmd("kill -TERM " ++ OsPid),
            receive
                {service_change, _, _, _, P} ->
                    M = sc_field(#'ServiceChangeParm'.serviceChangeMethod, P),
                    R = sc_field(#'ServiceChangeParm'.serviceChangeReason, P),
                    Ok = M == graceful andalso reason_code(R) == "905",
                    tap(Ok, Name),
                    Ok orelse diag(io_lib:format("method ~p reason ~p", [M, R]))
            after ?GRACEFUL_TIMEOUT ->
                tap(false, Name),
                diag("no ServiceChange within 10 s of SIGTERM")
            end
    end.

%%------------------------------------------------------------------------------------------
%% megaco plumbing

user_config(Form) ->
    Enc = case Form of
              pretty -> megaco_pretty_text_encoder;
              compact -> megaco_compact_text_encoder
          end,
    [{user_mod, ?MODULE}, {user_args, [self()]}, {protocol_version, 3},
     {encoding_mod, Enc}, {encoding_config, []},
     {request_timer, #megaco_incr_timer{wait_for = 1000, factor = 2, incr = 0,
                                        max_retries = 2}},
     {long_request_timer, 10000}, {reply_timer, 5000}].

open_transport(udp, Port, RH0) ->
    RH = RH0#megaco_receive_handle{send_mod = megaco_udp},
    {ok, Sup} = megaco_udp:start_transport(),
    {ok, Sock, _} = megaco_udp:open(Sup, [{port, Port}, {receive_handle, RH},
                                          {udp_options, fam_opts() ++ [{ip, lo_ip()}]}]),
    {udp, Sup, Sock};
open_transport(tcp, Port, RH0) ->
    RH = RH0#megaco_receive_handle{send_mod = megaco_tcp},
    {ok, Sup} = megaco_tcp:start_transport(),
    ok = megaco_tcp:listen(Sup, [{port, Port}, {receive_handle, RH},
                                 {tcp_options, fam_opts() ++ [{ip, lo_ip()}]}]),
    {tcp, Sup}.

close_transport({udp, Sup, Sock}) ->
    catch megaco_udp:close(Sock),
    catch megaco_udp:stop_transport(Sup);
close_transport({tcp, Sup}) ->
    catch megaco_tcp:stop_transport(Sup).

%% megaco:call for one transaction; {ok, ActionReplies} or {error, Why}. A reply holding an
%% Error descriptor at any depth is an error.
call(CH, Actions) ->
    R = case megaco:call(CH, Actions, []) of
            {_PV, {ok, Replies}} when is_list(Replies) -> {ok, Replies};
            {_PV, Replies} when is_list(Replies) -> {ok, Replies};
            {_PV, Err} -> {error, Err}
        end,
    case R of
        {ok, Rs} ->
            case errors(Rs) of
                [] -> R;
                Errs -> {error, {error_descriptors, Errs}}
            end;
        _ -> R
    end.

errors(#'ErrorDescriptor'{} = E) -> [E];
errors(T) when is_tuple(T) -> errors(tuple_to_list(T));
errors(L) when is_list(L) -> lists:append([errors(E) || E <- L]);
errors(_) -> [].

bgfd_config(Tr, MgcPort, MgPort, Min, Max) ->
    io_lib:format(
      "# written by tests/erlang/bgf_mgc.erl\n"
      "[bgfd]\n"
      "mid = ~s:~b\n"
      "listen_udp = ~s:~b\n"
      "listen_tcp = ~s:~b\n"
      "mgc = ~s:~s:~b\n"
      "profile = ETSI_BGF/1\n"
      "h248_version = 3\n"
      "log_level = debug\n"
      "[h248]\n"
      "graceful_delay_s = 1\n"
      "retrans_initial_ms = 200\n"
      "[media]\n"
      "default_realm = core\n"
      "default_latch = no\n"
      "[realm core]\n"
      "addresses = ~s\n"
      "ports = ~b-~b\n",
      [lo_mid(), MgPort, lo_mid(), MgPort, lo_mid(), MgPort, Tr, lo_mid(), MgcPort, lo_str(),
       Min, Max]).

start_bgfd(Bgfd, Conf, Log) ->
    Port = open_port({spawn_executable, "/bin/sh"},
                     [{args, ["-c", "exec \"$0\" -c \"$1\" >\"$2\" 2>&1", Bgfd, Conf, Log]},
                      exit_status]),
    {os_pid, P} = erlang:port_info(Port, os_pid),
    {Port, integer_to_list(P)}.

stop_bgfd(Port, OsPid) ->
    os:cmd("kill -TERM " ++ OsPid),
    receive {Port, {exit_status, _}} -> ok
    after 3000 ->
        os:cmd("kill -KILL " ++ OsPid),
        receive {Port, {exit_status, _}} -> ok after 2000 -> ok end
    end.

%% On failure the end of bgfd's log helps; it goes to standard error, not into TAP.
report_log(Log) ->
    case get(failed) of
        0 -> ok;
        _ ->
            case file:read_file(Log) of
                {ok, B} ->
                    Lines = string:split(B, "\n", all),
                    Tail = lists:nthtail(max(0, length(Lines) - 30), Lines),
                    io:format(standard_error, "--- last lines of ~s~n~s~n",
                              [Log, lists:join("\n", Tail)]);
                _ -> ok
            end
    end.

%%------------------------------------------------------------------------------------------
%% megaco_user callbacks (run in megaco's processes; they report to the test process)

handle_connect(_CH, _PV, _Test) -> ok.
handle_disconnect(_CH, _PV, _Reason, _Test) -> ok.
handle_syntax_error(_RH, _PV, _ED, _Test) -> reply.
handle_message_error(_CH, _PV, _ED, _Test) -> no_reply.
handle_trans_long_request(_CH, _PV, _Data, _Test) -> {discard_ack, []}.
handle_trans_reply(_CH, _PV, _Reply, _Data, _Test) -> ok.
handle_trans_ack(_CH, _PV, _Status, _Data, _Test) -> ok.
handle_unexpected_trans(_CH, _PV, _Trans, _Test) -> ok.
handle_trans_request_abort(_CH, _PV, _TransNo, _Pid, _Test) -> ok.
handle_segment_reply(_CH, _PV, _TransNo, _SegNo, _Compl, _Test) -> ok.

%% bgfd's requests: ServiceChange (answered, reported), Notify (answered).
handle_trans_request(CH, PV, Actions, Test) ->
    Replies = [answer(CH, PV, A, Test) || A <- Actions],
    {discard_ack, Replies}.

answer(CH, PV, #'ActionRequest'{contextId = C, commandRequests = Cmds}, Test) ->
    #'ActionReply'{contextId = C,
                   commandReply = [answer_cmd(CH, PV, Cmd, Test)
                                   || #'CommandRequest'{command = Cmd} <- Cmds]}.

answer_cmd(CH, PV, {serviceChangeReq, #'ServiceChangeRequest'{terminationID = Tids,
                                                               serviceChangeParms = P}}, Test) ->
    Test ! {service_change, CH, PV, Tids, P},
    {serviceChangeReply, #'ServiceChangeReply'{terminationID = Tids,
        serviceChangeResult = {serviceChangeResParms,
                               #'ServiceChangeResParm'{serviceChangeVersion = 3}}}};
answer_cmd(_CH, _PV, {notifyReq, #'NotifyRequest'{terminationID = Tids}}, _Test) ->
    {notifyReply, #'NotifyReply'{terminationID = Tids}};
answer_cmd(_CH, _PV, _Other, _Test) ->
    {notifyReply, #'NotifyReply'{terminationID = [],
                                 errorDescriptor = #'ErrorDescriptor'{errorCode = 501}}}.

%%------------------------------------------------------------------------------------------
%% Message pieces and reply parsing

tid(S) ->
    Levels = string:split(S, "/", all),
    #megaco_term_id{contains_wildcards = lists:member("$", Levels), id = Levels}.

%% A decoded termination id is chosen when no level holds $ or *.
chosen(#megaco_term_id{id = Levels}) ->
    not lists:any(fun(L) -> lists:member($$, L) orelse lists:member($*, L) end, Levels);
chosen(_) -> false.

sdp(Lines) ->
    #'LocalRemoteDescriptor'{propGrps = [[#'PropertyParm'{name = N, value = [V]}
                                          || {N, V} <- Lines]]}.
remote_sdp(Addr, Port) ->
    sdp([{"v", "0"}, {"c", "IN " ++ sdp_fam() ++ " " ++ Addr},
         {"m", "audio " ++ integer_to_list(Port) ++ " RTP/AVP 0"}, {"a", "ptime:20"}]).

media(Mode, Local, Remote) ->
    #'MediaDescriptor'{streams = {oneStream, #'StreamParms'{
        localControlDescriptor = #'LocalControlDescriptor'{streamMode = Mode,
                                                           propertyParms = []},
        localDescriptor = Local, remoteDescriptor = Remote}}}.

%% {TerminationId, LocalAddress, LocalPort} from an Add reply.
added({addReply, #'AmmsReply'{terminationID = [T], terminationAudit = Audit}}) ->
    Props = lists:append([local_props(MD) || {mediaDescriptor, MD} <- audit_list(Audit)]),
    Addr = case [V || #'PropertyParm'{name = "c", value = [V]} <- Props] of
               [C | _] -> lists:last(string:lexemes(C, " "));
               [] -> undefined
           end,
    Port = case [V || #'PropertyParm'{name = "m", value = [V]} <- Props] of
               [M | _] -> case catch list_to_integer(lists:nth(2, string:lexemes(M, " "))) of
                              P when is_integer(P) -> P;
                              _ -> undefined
                          end;
               [] -> undefined
           end,
    {T, Addr, Port};
added(Other) -> {Other, undefined, undefined}.

audit_list(L) when is_list(L) -> L;
audit_list(_) -> [].

local_props(#'MediaDescriptor'{streams = {oneStream, SP}}) -> sp_local(SP);
local_props(#'MediaDescriptor'{streams = {multiStream, SDs}}) ->
    lists:append([sp_local(SP) || #'StreamDescriptor'{streamParms = SP} <- SDs]);
local_props(_) -> [].

sp_local(#'StreamParms'{localDescriptor = #'LocalRemoteDescriptor'{propGrps = [G | _]}}) -> G;
sp_local(_) -> [].

%% [{Name, Value}] of the statistics in a termination audit, top level or per stream.
stats(Audit) ->
    Direct = [P || {statisticsDescriptor, S} <- audit_list(Audit), P <- S],
    InMedia = [P || {mediaDescriptor, MD} <- audit_list(Audit), SP <- stream_parms(MD),
                    P <- stats_of(SP)],
    [{N, V} || #'StatisticsParameter'{statName = N, statValue = V} <- Direct ++ InMedia].

%% A statistic's value as an integer; -1 when absent or not a number.
stat(Stats, Name) ->
    case lists:keyfind(Name, 1, Stats) of
        {_, [V | _]} -> case string:to_integer(V) of {I, ""} -> I; _ -> -1 end;
        _ -> -1
    end.

stream_parms(#'MediaDescriptor'{streams = {oneStream, SP}}) -> [SP];
stream_parms(#'MediaDescriptor'{streams = {multiStream, SDs}}) ->
    [SP || #'StreamDescriptor'{streamParms = SP} <- SDs];
stream_parms(_) -> [].

stats_of(#'StreamParms'{statisticsDescriptor = S}) when is_list(S) -> S;
stats_of(_) -> [].

reason_code([R | _]) when is_list(R) -> hd(string:lexemes(R, " "));
reason_code(_) -> undefined.

%%------------------------------------------------------------------------------------------
%% TAP

tap(Ok, Name) ->
    N = get(tap) + 1,
    put(tap, N),
    case Ok of
        true -> io:format("ok ~b - ~s~n", [N, lists:flatten(Name)]);
        false ->
            put(failed, get(failed) + 1),
            io:format("not ok ~b - ~s~n", [N, lists:flatten(Name)])
    end,
    Ok.

diag(Text) ->
    [io:format("# ~s~n", [L]) || L <- string:split(lists:flatten(Text), "\n", all)],
    true.
