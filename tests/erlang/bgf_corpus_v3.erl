%% bgf_corpus_v3 - the interoperability corpus as megaco version 3 records.
%% The body is shared by all versions: see bgf_corpus_body.hrl.
-module(bgf_corpus_v3).
-include_lib("megaco/include/megaco.hrl").
-include_lib("megaco/include/megaco_message_v3.hrl").
-define(VSN, 3).
-export([entries/0, random_entries/2]).
-include("bgf_corpus_body.hrl").
-include("bgf_random_body.hrl").
