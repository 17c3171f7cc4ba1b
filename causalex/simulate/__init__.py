"""Biased synthetic corpora with a known lagged AU causal mechanism (for testing every later stage).

`generate_corpus` builds one in memory; `write_corpus` writes OpenFace CSVs, ``labels.csv``,
``true_graph.json`` and ``corpus.json``; `simulate_corpus` does both.
"""

from causalex.simulate.generate import (SimulatedCorpus, check_corpus_folder, corpus_summary, generate_corpus,
                                        simulate_corpus, write_corpus)
from causalex.simulate.mechanism import AU_NAMES, EMOTION_PATTERNS, MECHANISM, MechanismEdge, true_graph
from causalex.simulate.presets import PRESETS, BiasSpec, SimPreset, get_preset

__all__ = ["AU_NAMES", "EMOTION_PATTERNS", "MECHANISM", "PRESETS", "BiasSpec", "MechanismEdge", "SimPreset",
           "SimulatedCorpus", "check_corpus_folder", "corpus_summary", "generate_corpus", "get_preset", "simulate_corpus", "true_graph",
           "write_corpus"]
