"""Biased synthetic corpora with a known lagged AU causal mechanism (for testing every later stage).

`generate_corpus` builds one in memory; `write_corpus` writes OpenFace CSVs, ``labels.csv``,
``true_graph.json`` and ``corpus.json``; `simulate_corpus` does both. A preset carries its mechanism
(`MechanismSpec`; `DEFAULT_MECHANISM` unless it says otherwise); `random_mechanism` draws others, and
`generate_family` simulates several corpora that share one mechanism and differ in bias.
"""

from causalex.simulate.family import family_mechanism, family_members, generate_family, write_family
from causalex.simulate.generate import (SimulatedCorpus, check_corpus_folder, corpus_summary, generate_corpus,
                                        simulate_corpus, write_corpus)
from causalex.simulate.mechanism import (AU_NAMES, DEFAULT_MECHANISM, EMOTION_PATTERNS, MECHANISM, MechanismEdge,
                                         MechanismSpec, true_graph)
from causalex.simulate.presets import FAMILIES, PRESETS, BiasSpec, SimPreset, family_of, get_preset
from causalex.simulate.random_mechanism import MECHANISM_CHOICES, random_mechanism, resolve_mechanism

__all__ = ["AU_NAMES", "DEFAULT_MECHANISM", "EMOTION_PATTERNS", "FAMILIES", "MECHANISM", "MECHANISM_CHOICES",
           "PRESETS", "BiasSpec", "MechanismEdge", "MechanismSpec", "SimPreset", "SimulatedCorpus",
           "check_corpus_folder", "corpus_summary", "family_mechanism", "family_members", "family_of",
           "generate_corpus", "generate_family", "get_preset", "random_mechanism", "resolve_mechanism",
           "simulate_corpus", "true_graph", "write_corpus", "write_family"]
