%% bgf_corpus_body.hrl - the H.248 interoperability corpus, built from megaco's own records.
%%
%% Included by bgf_corpus_v1/v2/v3.erl, each of which first includes the matching
%% megaco_message_vN.hrl and defines ?VSN. The records differ between versions (v3 adds
%% fields), so one module per version is compiled from this single body; fields that only
%% exist in later versions are guarded with -if(?VSN >= N).
%%
%% entries() -> [{Name, Message}] for the version ?VSN (exported by the including module). A message that a version cannot
%% express is left out of that version's list.


%%------------------------------------------------------------------------------------------
%% Small builders

mid4() -> {ip4Address, #'IP4Address'{address = [192, 0, 2, 10], portNumber = 2944}}.
mgc4() -> {ip4Address, #'IP4Address'{address = [192, 0, 2, 1], portNumber = 2944}}.
mid6() -> {ip6Address, #'IP6Address'{address = [16#20, 16#01, 16#0d, 16#b8, 0, 0, 0, 0,
                                               0, 0, 0, 0, 0, 0, 0, 16#10],
                                     portNumber = 2944}}.
middom() -> {domainName, #'DomainName'{name = "bgf1.example.net", portNumber = 2944}}.
middev() -> {deviceName, "bgf/unit1"}.

msg(Mid, Body) ->
    #'MegacoMessage'{mess = #'Message'{version = ?VSN, mId = Mid, messageBody = Body}}.
trans(Mid, Ts) -> msg(Mid, {transactions, Ts}).

req(Id, Actions) ->
    {transactionRequest, #'TransactionRequest'{transactionId = Id, actions = Actions}}.
reply(Id, Actions) ->
    {transactionReply, #'TransactionReply'{transactionId = Id,
                                           transactionResult = {actionReplies, Actions}}}.

act(Ctx, Cmds) -> #'ActionRequest'{contextId = Ctx, commandRequests = [cmd(C) || C <- Cmds]}.
cmd(#'CommandRequest'{} = C) -> C;
cmd(C) -> #'CommandRequest'{command = C}.
areply(Ctx, Replies) -> #'ActionReply'{contextId = Ctx, commandReply = Replies}.

%% "ip/1/core/$" -> #megaco_term_id{}; "$" and "*" levels make it a wildcard.
tid("root") -> ?megaco_root_termination_id;
tid(S) ->
    Levels = string:split(S, "/", all),
    Wild = lists:any(fun(L) -> lists:member($$, L) orelse lists:member($*, L) end, Levels),
    #megaco_term_id{contains_wildcards = Wild, id = Levels}.

pp(Name, Value) when is_list(hd(Value)) -> #'PropertyParm'{name = Name, value = Value};
pp(Name, Value) -> #'PropertyParm'{name = Name, value = [Value]}.
pp(Name, Values, Extra) -> #'PropertyParm'{name = Name, value = Values, extraInfo = Extra}.

%% SDP lines as one property group: [{"v","0"}, {"c","IN IP4 $"}, ...]
sdp(Lines) -> #'LocalRemoteDescriptor'{propGrps = [[pp(N, V) || {N, V} <- Lines]]}.

sdp4_choose() ->
    sdp([{"v", "0"}, {"c", "IN IP4 $"}, {"m", "audio $ RTP/AVP 0 8"}]).
sdp4_remote(Addr, Port) ->
    sdp([{"v", "0"}, {"o", "- 2890844526 2890842807 IN IP4 " ++ Addr}, {"s", "-"},
         {"c", "IN IP4 " ++ Addr}, {"t", "0 0"},
         {"m", "audio " ++ integer_to_list(Port) ++ " RTP/AVP 0 8"},
         {"a", "rtpmap:0 PCMU/8000"}, {"a", "ptime:20"}]).
sdp4_chosen(Addr, Port) ->
    sdp([{"v", "0"}, {"c", "IN IP4 " ++ Addr},
         {"m", "audio " ++ integer_to_list(Port) ++ " RTP/AVP 0"}]).
sdp6_choose() ->
    sdp([{"v", "0"}, {"c", "IN IP6 $"}, {"m", "audio $ RTP/AVP 0"}, {"a", "ptime:20"}]).
sdp6_remote() ->
    sdp([{"v", "0"}, {"c", "IN IP6 2001:db8::5"}, {"m", "audio 30000 RTP/AVP 0"},
         {"b", "AS:64"}, {"a", "sendrecv"}]).

stream(LC, Local, Remote) ->
    #'MediaDescriptor'{streams = {oneStream, #'StreamParms'{localControlDescriptor = LC,
                                                            localDescriptor = Local,
                                                            remoteDescriptor = Remote}}}.
lc(Mode, Props) -> #'LocalControlDescriptor'{streamMode = Mode, propertyParms = Props}.

add(Tid, Descs) -> {addReq, #'AmmRequest'{terminationID = [tid(Tid)], descriptors = Descs}}.
modify(Tid, Descs) -> {modReq, #'AmmRequest'{terminationID = [tid(Tid)], descriptors = Descs}}.
amms(Tid, Audit) -> #'AmmsReply'{terminationID = [tid(Tid)], terminationAudit = Audit}.

sc_parm(Method, Reason) ->
    #'ServiceChangeParm'{serviceChangeMethod = Method, serviceChangeReason = [Reason]}.
profile() -> #'ServiceChangeProfile'{profileName = "ETSI_BGF", version = 1}.

stats(Pairs) -> [#'StatisticsParameter'{statName = N, statValue = [V]} || {N, V} <- Pairs].
call_stats(Seed) ->
    S = integer_to_list(Seed),
    stats([{"nt/os", S ++ "1600"}, {"nt/or", S ++ "1440"}, {"rtp/ps", S ++ "10"},
           {"rtp/pr", S ++ "9"}, {"rtp/pl", "1"}, {"rtp/jit", "4"}, {"rtp/delay", "12"}]).

err(Code, Text) -> #'ErrorDescriptor'{errorCode = Code, errorText = Text}.
tnote() -> #'TimeNotation'{date = "20261125", time = "19304512"}.

%% LocalControl of a gate with every package a BGF uses, LI included.
li_lc(Mode, Licn, Targets) ->
    lc(Mode, [pp("ds/dscp", "2e"), pp("gm/saf", "on"), pp("gm/sam", "192.0.2.0/24"),
              pp("gm/spf", "off"), pp("tman/pol", "on"), pp("tman/sdr", "12000"),
              pp("tman/mbs", "1500"), pp("tman/pdr", "16000"), pp("ipnat/latch", "on"),
              pp("li/LICn", Licn), pp("li/LITID", Targets, {sublist, true})]).

%%------------------------------------------------------------------------------------------
%% The corpus

entries() ->
    Base = [
     %% Registration: ServiceChange Restart 901 with profile and version.
     {sc_restart,
      trans(mid4(), [req(1, [act(?megaco_null_context_id,
        [{serviceChangeReq, #'ServiceChangeRequest'{terminationID = [tid("root")],
           serviceChangeParms = (sc_parm(restart, "901"))#'ServiceChangeParm'{
               serviceChangeVersion = ?VSN, serviceChangeProfile = profile()}}}])])])},
     %% The MGC's answer, redirecting to another port.
     {sc_reply_address,
      trans(mgc4(), [reply(1, [areply(?megaco_null_context_id,
        [{serviceChangeReply, #'ServiceChangeReply'{terminationID = [tid("root")],
           serviceChangeResult = {serviceChangeResParms, #'ServiceChangeResParm'{
               serviceChangeAddress = {portNumber, 2946},
               serviceChangeVersion = ?VSN, serviceChangeProfile = profile()}}}}])])])},
     %% ... or naming another MGC to try.
     {sc_reply_mgcidtotry,
      trans(mgc4(), [reply(2, [areply(?megaco_null_context_id,
        [{serviceChangeReply, #'ServiceChangeReply'{terminationID = [tid("root")],
           serviceChangeResult = {serviceChangeResParms, #'ServiceChangeResParm'{
               serviceChangeMgcId = {domainName, #'DomainName'{name = "mgc2.example.net",
                                                               portNumber = 2944}}}}}}])])])},
     %% Leaving: Graceful 905 with Delay and TimeStamp, from a domain-named MG.
     {sc_graceful,
      trans(middom(), [req(77, [act(?megaco_null_context_id,
        [{serviceChangeReq, #'ServiceChangeRequest'{terminationID = [tid("root")],
           serviceChangeParms = (sc_parm(graceful, "905"))#'ServiceChangeParm'{
               serviceChangeDelay = 30, timeStamp = tnote()}}}])])])},
     %% A refused registration: ServiceChange reply carrying an error.
     {sc_reply_error,
      trans(mgc4(), [reply(3, [areply(?megaco_null_context_id,
        [{serviceChangeReply, #'ServiceChangeReply'{terminationID = [tid("root")],
           serviceChangeResult = {errorDescriptor, err(502, "Not ready")}}}])])])},
     %% Call set-up: two Adds with $ termination, Local to choose and Remote SDP (IPv4).
     {add2_sdp,
      trans(mgc4(), [req(10003, [act(?megaco_choose_context_id,
        [add("ip/1/core/$", [{mediaDescriptor, stream(lc(sendRecv, [pp("ipdc/realm", "core"),
                                                                     pp("ds/dscp", "2e")]),
                                                      sdp4_choose(),
                                                      sdp4_remote("198.51.100.7", 49170))}]),
         add("ip/1/access/$", [{mediaDescriptor, stream(lc(recvOnly, [pp("ipnat/latch", "on")]),
                                                        sdp4_choose(), asn1_NOVALUE)}])])])])},
     %% The same in IPv6, from an IPv6 MGC.
     {add_ip6,
      trans(mid6(), [req(10004, [act(?megaco_choose_context_id,
        [add("ip/2/v6/$", [{mediaDescriptor,
                            stream(lc(sendRecv, [pp("ipdc/realm", "v6")]),
                                   sdp6_choose(), sdp6_remote())}])])])])},
     %% The Add reply: the chosen termination ids and Local with address and port.
     {add_reply,
      trans(mid4(), [reply(10003, [areply(4711,
        [{addReply, amms("ip/1/core/7", [{mediaDescriptor,
                                         stream(asn1_NOVALUE, sdp4_chosen("192.0.2.10", 20000),
                                                asn1_NOVALUE)}])},
         {addReply, amms("ip/1/access/8", [{mediaDescriptor,
                                           stream(asn1_NOVALUE, sdp4_chosen("192.0.2.11", 20002),
                                                  asn1_NOVALUE)}])}])])])},
     %% Modify with every BGF LocalControl property, LI included, and a new Remote.
     {modify_li,
      trans(mgc4(), [req(10005, [act(4711,
        [modify("ip/1/core/7", [{mediaDescriptor,
           stream(li_lc(sendRecv, "ff00ff00ff00ff00", ["ffffff00", "ffffff01"]),
                  asn1_NOVALUE, sdp4_remote("198.51.100.8", 49172))}])])])])},
     %% Mid-call mode change and LI with the 32-digit LICn form.
     {modify_mode,
      trans(mgc4(), [req(10006, [act(4711,
        [modify("ip/1/core/7", [{mediaDescriptor,
           stream(li_lc(sendOnly, "00112233445566778899aabbccddeeff", ["0000002a"]),
                  asn1_NOVALUE, asn1_NOVALUE)}]),
         modify("ip/1/access/8", [{mediaDescriptor,
           stream(lc(inactive, []), asn1_NOVALUE, asn1_NOVALUE)}])])])])},
     %% Release: Subtract with a Statistics audit, and Subtract * in a context.
     {subtract_stats,
      trans(mgc4(), [req(10007, [act(4711,
        [{subtractReq, #'SubtractRequest'{terminationID = [tid("*")],
            auditDescriptor = #'AuditDescriptor'{auditToken = [statsToken]}}}])]),
                     req(10008, [act(4712,
        [{subtractReq, #'SubtractRequest'{terminationID = [tid("ip/1/core/9")],
            auditDescriptor = #'AuditDescriptor'{auditToken = [statsToken, mediaToken]}}}])])])},
     %% Its reply with statistics for both terminations.
     {subtract_reply_stats,
      trans(mid4(), [reply(10007, [areply(4711,
        [{subtractReply, amms("ip/1/core/7", [{statisticsDescriptor, call_stats(1)}])},
         {subtractReply, amms("ip/1/access/8", [{statisticsDescriptor, call_stats(2)}])}])])])},
     %% AuditValue on ROOT asking for Packages, and the reply listing them with versions.
     {audit_root_packages,
      trans(mgc4(), [req(20, [act(?megaco_null_context_id,
        [{auditValueRequest, #'AuditRequest'{terminationID = tid("root"),
            auditDescriptor = #'AuditDescriptor'{auditToken = [packagesToken]}}}])])])},
     {audit_root_packages_reply,
      trans(mid4(), [reply(20, [areply(?megaco_null_context_id,
        [{auditValueReply, {auditResult, #'AuditResult'{terminationID = tid("root"),
            terminationAuditResult = [{packagesDescriptor,
               [#'PackagesItem'{packageName = P, packageVersion = V}
                || {P, V} <- [{"root", 2}, {"ds", 1}, {"gm", 1}, {"ipnat", 1}, {"tman", 1},
                              {"it", 1}, {"hangterm", 1}, {"nt", 1}, {"rtp", 1},
                              {"li", 1}]]}]}}}])])])},
     %% AuditCapabilities on a wildcard, and a capabilities reply with alternatives,
     %% ranges and relations.
     {audit_capabilities,
      trans(mgc4(), [req(21, [act(?megaco_null_context_id,
        [{auditCapRequest, #'AuditRequest'{terminationID = tid("ip/1/core/*"),
            auditDescriptor = #'AuditDescriptor'{auditToken = [mediaToken, eventsToken,
                                                               statsToken]}}}])])])},
     {audit_capabilities_reply,
      trans(mid4(), [reply(21, [areply(?megaco_null_context_id,
        [{auditCapReply, {auditResult, #'AuditResult'{terminationID = tid("ip/1/core/*"),
            terminationAuditResult = [{mediaDescriptor, stream(lc(sendRecv,
               [pp("ds/dscp", ["00", "2e", "b8"], {sublist, false}),
                pp("tman/sdr", ["0", "1250000"], {range, true}),
                pp("tman/mbs", ["65535"], {relation, smallerThan}),
                pp("hangterm/timerx", ["0"], {relation, greaterThan}),
                pp("gm/spf", ["on"], {relation, unequalTo})]),
               asn1_NOVALUE, asn1_NOVALUE)},
             {statisticsDescriptor, stats([{"nt/os", "0"}, {"rtp/pl", "0"}])}]}}}])])])},
     %% Notify: inactivity on ROOT and a hanging termination.
     {notify_ito_thb,
      trans(mid4(), [req(30, [act(?megaco_null_context_id,
        [{notifyReq, #'NotifyRequest'{terminationID = [tid("root")],
            observedEventsDescriptor = #'ObservedEventsDescriptor'{requestId = 1,
               observedEventLst = [#'ObservedEvent'{eventName = "it/ito",
                                                    timeNotation = tnote()}]}}}]),
                              act(4711,
        [{notifyReq, #'NotifyRequest'{terminationID = [tid("ip/1/core/7")],
            observedEventsDescriptor = #'ObservedEventsDescriptor'{requestId = 2,
               observedEventLst = [#'ObservedEvent'{eventName = "hangterm/thb",
                  eventParList = [#'EventParameter'{eventParameterName = "timerx",
                                                    value = ["30"]}]}]}}}])])])},
     {notify_reply,
      trans(mgc4(), [reply(30, [areply(?megaco_null_context_id,
        [{notifyReply, #'NotifyReply'{terminationID = [tid("root")]}}]),
                                areply(4711,
        [{notifyReply, #'NotifyReply'{terminationID = [tid("ip/1/core/7")]}}])])])},
     %% Events with parameters (it/ito with mit on ROOT), Signals on a termination.
     {events_signals,
      trans(mgc4(), [req(31, [act(?megaco_null_context_id,
        [modify("root", [{eventsDescriptor, #'EventsDescriptor'{requestID = 1,
            eventList = [#'RequestedEvent'{pkgdName = "it/ito",
               evParList = [#'EventParameter'{eventParameterName = "mit",
                                              value = ["12000"]}]}]}}])]),
                              act(4711,
        [modify("ip/1/core/7", [{eventsDescriptor, #'EventsDescriptor'{requestID = 2,
            eventList = [#'RequestedEvent'{pkgdName = "hangterm/thb"},
                         #'RequestedEvent'{pkgdName = "nt/netfail",
                            eventAction = #'RequestedActions'{keepActive = true}}]}},
           {signalsDescriptor, [{signal, #'Signal'{signalName = "cg/rt", sigType = timeOut,
                                                   duration = 3000,
                                                   sigParList = []}}]}])])])])},
     %% Errors: a transaction that failed, and a command failure inside an action.
     {error_replies,
      trans(mid4(), [{transactionReply, #'TransactionReply'{transactionId = 40,
          transactionResult = {transactionError, err(434, "Max number of terminations "
                                                          "in a context exceeded")}}},
                     reply(41, [#'ActionReply'{contextId = 4711,
          errorDescriptor = err(510, "Insufficient resources: realm core has no free port"),
          commandReply = [{addReply, amms("ip/1/core/7", asn1_NOVALUE)}]}])])},
     %% Pending, a TransactionResponseAck with single ids and ranges.
     {pending,
      trans(mid4(), [{transactionPending, #'TransactionPending'{transactionId = 50}}])},
     {response_ack,
      trans(mgc4(), [{transactionResponseAck, [#'TransactionAck'{firstAck = 51},
                                               #'TransactionAck'{firstAck = 60, lastAck = 69},
                                               #'TransactionAck'{firstAck = 75}]}])},
     %% A reply asking for an acknowledgement.
     {immack_reply,
      trans(mid4(), [{transactionReply, #'TransactionReply'{transactionId = 52,
          immAckRequired = 'NULL',
          transactionResult = {actionReplies, [areply(4711,
             [{modReply, amms("ip/1/core/7", asn1_NOVALUE)}])]}}}])},
     %% Several transactions of different kinds in one message.
     {multi_transaction,
      trans(mid4(), [req(60, [act(?megaco_null_context_id,
        [{notifyReq, #'NotifyRequest'{terminationID = [tid("root")],
            observedEventsDescriptor = #'ObservedEventsDescriptor'{requestId = 1,
               observedEventLst = [#'ObservedEvent'{eventName = "it/ito"}]}}}])]),
                     reply(61, [areply(4713, [{subtractReply, amms("ip/1/core/9", [])}])]),
                     {transactionPending, #'TransactionPending'{transactionId = 62}},
                     reply(63, [areply(4714, [{modReply, amms("ip/1/core/10", [])}]),
                                areply(4715, [{modReply, amms("ip/1/core/11", [])}])])])},
     %% Context properties (priority, emergency, topology) and a context audit.
     {context_props,
      trans(mgc4(), [req(70, [#'ActionRequest'{contextId = ?megaco_choose_context_id,
          contextRequest = #'ContextRequest'{priority = 3, emergency = true,
             topologyReq = [#'TopologyRequest'{terminationFrom = tid("ip/1/core/7"),
                                               terminationTo = tid("ip/1/access/8"),
                                               topologyDirection = oneway}]},
          commandRequests = [cmd(add("ip/1/core/$", []))]}] ++ context_audit())])},
     %% O- and W- commands.
     {optional_wildcard,
      trans(mgc4(), [req(80, [act(4711,
        [#'CommandRequest'{command = modify("ip/1/core/7", [{mediaDescriptor,
                              stream(lc(sendRecv, []), asn1_NOVALUE, asn1_NOVALUE)}]),
                           optional = 'NULL'},
         #'CommandRequest'{command = {subtractReq, #'SubtractRequest'{
                              terminationID = [tid("ip/1/*/*")]}},
                           wildcardReturn = 'NULL'},
         #'CommandRequest'{command = add("ip/1/core/$", []), optional = 'NULL',
                           wildcardReturn = 'NULL'}])])])},
     %% TerminationState with ServiceStates, Buffer and a property.
     {termination_state,
      trans(mgc4(), [req(90, [act(4711,
        [modify("ip/1/core/7", [{mediaDescriptor, #'MediaDescriptor'{
            termStateDescr = #'TerminationStateDescriptor'{
               propertyParms = [pp("hangterm/timerx", "30")],
               eventBufferControl = lockStep, serviceState = outOfSvc}}}])])])])},
     %% Move a termination to another context.
     {move,
      trans(mgc4(), [req(91, [act(4716,
        [{moveReq, #'AmmRequest'{terminationID = [tid("ip/1/core/7")],
                                 descriptors = [{mediaDescriptor,
                                    stream(lc(sendRecv, []), asn1_NOVALUE,
                                           asn1_NOVALUE)}]}}])])])},
     %% A message-level error.
     {message_error,
      msg(mid4(), {messageError, err(400, "Syntax error in message")})},
     %% A device-named MG with EventBuffer and DigitMap descriptors.
     {device_name_misc,
      trans(middev(), [req(92, [act(4711,
        [modify("ip/1/core/7", [{eventBufferDescriptor,
              [#'EventSpec'{eventName = "hangterm/thb"}]},
           {digitMapDescriptor, #'DigitMapDescriptor'{digitMapName = "dm1",
              digitMapValue = #'DigitMapValue'{startTimer = 10, shortTimer = 4,
                                               digitMapBody = "(0xxx|1xxx)"}}}])])])])}
     ,
     %% Media with two explicit streams, each with its own LocalControl, Local and Remote.
     {multi_stream,
      trans(mgc4(), [req(93, [act(4711,
        [modify("ip/1/core/7", [{mediaDescriptor, #'MediaDescriptor'{streams = {multiStream,
            [#'StreamDescriptor'{streamID = 1, streamParms = #'StreamParms'{
                localControlDescriptor = lc(sendRecv, [pp("ds/dscp", "2e")]),
                localDescriptor = sdp4_chosen("192.0.2.10", 20004),
                remoteDescriptor = sdp4_remote("198.51.100.9", 40000)}},
             #'StreamDescriptor'{streamID = 2, streamParms = #'StreamParms'{
                localControlDescriptor = lc(inactive, [pp("tman/pol", "off")])}}]}}}])])])])},
     %% Redirection to an IPv6 address, and MgcIdToTry naming an IPv4 MGC.
     {sc_handoff,
      trans(mgc4(), [req(94, [act(?megaco_null_context_id,
        [{serviceChangeReq, #'ServiceChangeRequest'{terminationID = [tid("root")],
           serviceChangeParms = (sc_parm(handOff, "903"))#'ServiceChangeParm'{
               serviceChangeMgcId = mgc4()}}}])])])},
     {sc_reply_ip6_address,
      trans(mgc4(), [reply(95, [areply(?megaco_null_context_id,
        [{serviceChangeReply, #'ServiceChangeReply'{terminationID = [tid("root")],
           serviceChangeResult = {serviceChangeResParms, #'ServiceChangeResParm'{
               serviceChangeAddress = mid6(), serviceChangeVersion = 2}}}}])])])},
     %% Events with KeepActive, an embedded Signals descriptor and a stream; a SignalList.
     {events_embed_signal_list,
      trans(mgc4(), [req(96, [act(4711,
        [modify("ip/1/core/7", [{eventsDescriptor, #'EventsDescriptor'{requestID = 7,
            eventList = [#'RequestedEvent'{pkgdName = "hangterm/thb", streamID = 1,
               eventAction = #'RequestedActions'{keepActive = true,
                  signalsDescriptor = [{signal, #'Signal'{signalName = "cg/bt"}}]},
               evParList = [#'EventParameter'{eventParameterName = "timerx",
                                              value = ["60"]}]}]}},
           {signalsDescriptor, [{seqSigList, #'SeqSigList'{id = 3, signalList = [
               #'Signal'{signalName = "cg/rt", sigType = brief, duration = 500},
               #'Signal'{signalName = "cg/bt", sigType = onOff,
                         notifyCompletion = [onTimeOut, onInterruptByEvent],
                         sigParList = [#'SigParameter'{sigParameterName = "cad",
                                                       value = ["a b"]}]}]}}]}])])])])},
     %% AuditValue reply with a full termination audit: Media, Events, Statistics.
     {audit_value_reply_full,
      trans(mid4(), [reply(97, [areply(4711,
        [{auditValueReply, {auditResult, #'AuditResult'{terminationID = tid("ip/1/core/7"),
            terminationAuditResult = [
               {mediaDescriptor, #'MediaDescriptor'{
                   termStateDescr = #'TerminationStateDescriptor'{serviceState = inSvc},
                   streams = {oneStream, #'StreamParms'{
                       localControlDescriptor = li_lc(sendRecv, "0123456789abcdef", ["7"]),
                       localDescriptor = sdp4_chosen("192.0.2.10", 20000),
                       remoteDescriptor = sdp4_remote("198.51.100.7", 49170)}}}},
               {eventsDescriptor, #'EventsDescriptor'{requestID = 2,
                   eventList = [#'RequestedEvent'{pkgdName = "hangterm/thb"}]}},
               {statisticsDescriptor, call_stats(4)}]}}}])])])},
     %% A reply carrying context properties and Topology (megaco's v2 parser reads a
     %% single triple only there).
     {context_reply_topology,
      trans(mid4(), [reply(98, [#'ActionReply'{contextId = 4711,
          contextReply = #'ContextRequest'{priority = 7, emergency = true,
             topologyReq = [#'TopologyRequest'{terminationFrom = tid("ip/1/core/7"),
                                               terminationTo = tid("ip/1/access/8"),
                                               topologyDirection = isolate}]},
          commandReply = [{modReply, amms("ip/1/core/7", [])}]}])])},
     %% An authentication header (0xSPI:0xSEQ:0xDATA) and an mId without a port.
     {authenticated,
      (trans({domainName, #'DomainName'{name = "mgc.example.net"}},
             [req(102, [act(4711, [modify("ip/1/core/7", [])])])])
      %% megaco writes octets below 16 with an extra 0 (do_enc_HEXDIG), so none are used
      )#'MegacoMessage'{authHeader = #'AuthenticationHeader'{
                           secParmIndex = [16#a0, 16#10, 16#12, 16#34],
                           seqNum = [16#10, 16#20, 16#30, 16#47],
                           ad = lists:seq(16#e0, 16#eb)}}},
     %% Mux descriptor and an error text with characters that need care.
     {mux_and_error_text,
      trans(mgc4(), [req(99, [act(4711,
        [modify("ip/1/core/7", [{muxDescriptor, #'MuxDescriptor'{muxType = h221,
            termList = [tid("ip/1/core/7"), tid("ip/1/core/8")]}}])])]),
                     {transactionReply, #'TransactionReply'{transactionId = 41,
          transactionResult = {transactionError,
             err(445, "Unknown property: tman/xyz {in LocalControl}, see H.248.1 7.1.7")}}}])}
    ],
    Base ++ version_entries().

%% A context audit; megaco's v1 parser cannot read one back, so v1 goes without.
-if(?VSN >= 2).
context_audit() ->
    [#'ActionRequest'{contextId = 4711,
                      contextAttrAuditReq = #'ContextAttrAuditRequest'{topology = 'NULL',
                                                                       emergency = 'NULL',
                                                                       priority = 'NULL'},
                      commandRequests = []}].
-else.
context_audit() -> [].
-endif.

%% Messages only a later version can express.
-if(?VSN >= 2).
version_entries() ->
    [%% An audit of individual properties (indAud forms, v2).
     {audit_individual,
      trans(mgc4(), [req(101, [act(4711,
        [{auditValueRequest, #'AuditRequest'{terminationID = tid("ip/1/core/7"),
            auditDescriptor = #'AuditDescriptor'{auditToken = [statsToken],
               auditPropertyToken = [{indAudMediaDescriptor, #'IndAudMediaDescriptor'{
                  streams = {oneStream, #'IndAudStreamParms'{
                     localControlDescriptor = #'IndAudLocalControlDescriptor'{
                        streamMode = 'NULL',
                        propertyParms = [#'IndAudPropertyParm'{name = "ds/dscp"},
                                         #'IndAudPropertyParm'{name = "gm/saf"}]}}}}},
                 {indAudPackagesDescriptor, #'IndAudPackagesDescriptor'{
                    packageName = "tman", packageVersion = 1}}]}}}])])])}] ++
    [%% Emergency off (v2), statistics at stream level (v3 only, see below).
     {context_emergency_off,
      trans(mgc4(), [req(100, [#'ActionRequest'{contextId = 4711,
          contextRequest = #'ContextRequest'{priority = 0, emergency = false},
          commandRequests = [cmd(modify("ip/1/core/7", []))]}])])}]
    ++ v3_entries().
-else.
version_entries() -> [].
-endif.

-if(?VSN >= 3).
v3_entries() ->
    [%% Segmentation (v3): a reply in two segments, the last marked END, and their
     %% SegmentReply acknowledgements.
     {segmented_reply,
      trans(mid4(), [{transactionReply, #'TransactionReply'{transactionId = 110,
                        segmentNumber = 1,
                        transactionResult = {actionReplies, [areply(4711,
                           [{subtractReply, amms("ip/1/core/7", [{statisticsDescriptor,
                                                                call_stats(5)}])}])]}}},
                     {transactionReply, #'TransactionReply'{transactionId = 110,
                        segmentNumber = 2, segmentationComplete = 'NULL',
                        transactionResult = {actionReplies, [areply(4711,
                           [{subtractReply, amms("ip/1/core/8", [])}])]}}}])},
     %% (one per message: megaco writes two SegmentReplies with nothing between them)
     {segment_reply,
      trans(mgc4(), [{segmentReply, #'SegmentReply'{transactionId = 110, segmentNumber = 2,
                                                    segmentationComplete = 'NULL'}}])},
     {subtract_reply_stream_stats,
      trans(mid4(), [reply(10009, [areply(4712,
        [{subtractReply, amms("ip/1/core/9", [{mediaDescriptor, #'MediaDescriptor'{
            streams = {multiStream, [#'StreamDescriptor'{streamID = 1,
               streamParms = #'StreamParms'{statisticsDescriptor = call_stats(3)}}]}}}])}])])])}].
-elif(?VSN >= 2).
v3_entries() -> [].
-endif.
