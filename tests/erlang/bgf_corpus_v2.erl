%% bgf_corpus_v2 - the interoperability corpus as megaco version 2 records.
%% The body is shared by all versions: see bgf_corpus_body.hrl.
-module(bgf_corpus_v2).
-include_lib("megaco/include/megaco.hrl").
-include_lib("megaco/include/megaco_message_v2.hrl").
-define(VSN, 2).
-export([entries/0, random_entries/2]).
-include("bgf_corpus_body.hrl").
-include("bgf_random_body.hrl").
