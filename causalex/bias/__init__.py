"""Cross-dataset bias evaluation: in-domain vs cross-domain F1 per graph variant, AU reliance, graph diff.

`run_bias_study` runs the study (`protocol`), `write_report` writes it (`report`); `corpus` loads the
two corpora under the leakage rule, `graph_diff` compares their graphs, `summary` aggregates seeds,
`backend` wires the causalex spotter in.
"""

from causalex.bias.corpus import Corpus, CorpusSource, agree_au_names, check_labels_match, header_au_names
from causalex.bias.graph_diff import GraphDiff, PairChange, diff_graphs
from causalex.bias.protocol import BiasStudy, SpotterBackend, StudyConfig, subject_folds, run_bias_study
from causalex.bias.report import check_report_folder, report_markdown, study_json, write_report
from causalex.bias.summary import RelianceScores, SeedRun, spread_stats, summarise_reliance, summarise_runs

__all__ = ["BiasStudy", "Corpus", "CorpusSource", "GraphDiff", "PairChange", "RelianceScores", "SeedRun",
           "SpotterBackend", "StudyConfig", "agree_au_names", "check_labels_match", "diff_graphs",
           "header_au_names", "subject_folds", "report_markdown", "run_bias_study", "spread_stats", "study_json",
           "summarise_reliance", "summarise_runs", "write_report", "check_report_folder"]
