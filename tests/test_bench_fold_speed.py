"""benchmarks/bench_fold_speed.py runs end to end on a small corpus (CPU) and reports every stage."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_fold_speed import main  # noqa: E402


def test_quick_run_reports_forward_and_fold_stages(capsys):
    assert main(["--quick", "--no-append", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| [16, 512] |" in out and "frames/s" in out
    for stage in ("causal graph of the fold", "training (tcn, windows), 2 epochs", "s per epoch",
                  "decode the test subject", "**total**"):
        assert stage in out


def test_a_recipe_sets_the_model_data_and_graph_of_the_fold(capsys):
    assert main(["--quick", "--no-append", "--repeats", "1", "--recipe", "pesformer-like"]) == 0
    out = capsys.readouterr().out
    for stage in ("none graph of the fold", "training (transformer, videos), 2 epochs", "recipe pesformer-like"):
        assert stage in out
