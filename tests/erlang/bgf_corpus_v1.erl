%% bgf_corpus_v1 - the interoperability corpus as megaco version 1 records.
%% The body is shared by all versions: see bgf_corpus_body.hrl.
-module(bgf_corpus_v1).
-include_lib("megaco/include/megaco.hrl").
-include_lib("megaco/include/megaco_message_v1.hrl").
-define(VSN, 1).
-export([entries/0, random_entries/2]).
-include("bgf_corpus_body.hrl").
-include("bgf_random_body.hrl").
