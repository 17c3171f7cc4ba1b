"""`causalex discover`: graph files, per-group folders, provenance, and one-line errors (exit 2, no file)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from causalex.graph import AUGraph
from causalex.labels import Interval, write_labels_csv
from causalex_cli.main import app
from test_discover_pipeline import make_series

runner = CliRunner()
FAST = ["--method", "fci", "--stride", "1", "--lag", "0.0334", "--device", "cpu", "--alpha", "0.01"]


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(6):
        make_series(f"v{i}", f"s{i % 3}", seed=i).save(folder / f"v{i}.parquet")
    labels = [Interval(f"v{i}", 20 * k, 20 * k + 5, 20 * k + 14, "macro" if k % 2 else "micro", subject=f"s{i % 3}")
              for i in range(6) for k in range(1, 19)]
    write_labels_csv(folder / "labels.csv", labels)
    return folder


def test_discover_writes_the_graph_with_provenance(corpus, tmp_path):
    out = tmp_path / "g.json"
    res = runner.invoke(app, ["discover", str(corpus), "-o", str(out), "--bootstrap", "6", *FAST])
    assert res.exit_code == 0, res.output
    assert "kept edges" in res.stdout and f"wrote {out}" in res.stdout
    graph = AUGraph.load(out)
    assert {(e.source, e.target) for e in graph.kept_edges()} == {("AU01", "AU02"), ("AU02", "AU04")}
    prov = graph.provenance
    assert prov["command"].startswith(f"causalex discover {corpus} -o {out} --engine fast --method fci")
    assert "--bootstrap 6" in prov["command"] and prov["n_series"] == 6 and prov["bootstrap"] == 6
    assert prov["sampling"]["features"] == "lagged"


def test_per_subject_and_per_type_write_one_graph_per_group(corpus, tmp_path):
    out = tmp_path / "by_subject"
    res = runner.invoke(app, ["discover", str(corpus), "-o", str(out), "--per", "subject", *FAST])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["s0.json", "s1.json", "s2.json"]
    assert AUGraph.load(out / "s1.json").provenance["group"] == {"per": "subject", "name": "s1"}
    out = tmp_path / "by_type"
    res = runner.invoke(app, ["discover", str(corpus), "-o", str(out), "--per", "type", "--labels",
                              str(corpus / "labels.csv"), "--features", "level", "--stride", "1", "--device", "cpu", "--method", "fci"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["macro.json", "micro.json"]
    assert AUGraph.load(out / "macro.json").provenance["sampling"]["expression_type"] == "macro"


def test_constant_au_and_nan_frames_are_dropped_with_a_warning(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    for i in range(3):
        s = make_series(f"v{i}", f"s{i}", seed=i)
        s.values[:, 3] = 0.0  # AU12 never moves
        s.values[7, 1] = np.nan
        s.save(folder / f"v{i}.parquet")
    out = tmp_path / "g.json"
    res = runner.invoke(app, ["discover", str(folder), "-o", str(out), *FAST])
    assert res.exit_code == 0, res.output
    assert "AU12 left out of discovery (constant" in res.stderr and "NaN" in res.stderr
    assert AUGraph.load(out).provenance["dropped_aus"] == {"AU12": "constant in the selected frames"}


def assert_bad_input(args, out, *expected):
    """Run the CLI with ``-o out``: exit 2, one error line holding ``expected``, and no file left behind."""
    res = runner.invoke(app, ["-q", *args, "-o", str(out)])  # -q: only warnings and errors on stderr
    assert res.exit_code == 2, res.output
    message = res.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in res.output, message
    for part in expected:
        assert part in message, message
    assert not out.exists() and not list(out.parent.glob(f".{out.name}*"))


def test_bad_options_and_inputs(corpus, tmp_path):
    out = tmp_path / "g.json"
    assert_bad_input(["discover", str(tmp_path / "nope")], out, "nope", "does not exist")
    assert_bad_input(["discover", str(corpus), "--policy", "bold"], out, "valid: conservative, lenient, keep-all")
    assert_bad_input(["discover", str(corpus), "--method", "ges"], out, "valid: timeseries, fci, pc")
    assert_bad_input(["discover", str(corpus), "--features", "raw"], out, "valid: lagged, level, diff")
    assert_bad_input(["discover", str(corpus), "--per", "emotion"], out, "valid: dataset, subject, type")
    assert_bad_input(["discover", str(corpus), "--inside-expressions"], out, "needs labels")
    assert_bad_input(["discover", str(corpus), "--alpha", "2"], out, "alpha must be in (0, 1)")
    assert_bad_input(["discover", str(corpus), "--device", "foo"], out, "unknown device 'foo'; valid: auto, cpu, cuda")
    assert_bad_input(["discover", str(corpus), "--seed", "-1"], out, "seed must be >= 0")
    assert_bad_input(["discover", str(corpus), "--aus", ","], out, "--aus ',' names no AU")
    assert_bad_input(["discover", str(corpus), "--labels", str(tmp_path / "none.csv")], out, "none.csv", "does not exist")
    file_out = tmp_path / "taken.json"
    file_out.write_text("{}")
    res = runner.invoke(app, ["discover", str(corpus), "-o", str(file_out), "--per", "subject"])
    assert res.exit_code == 2 and "must be a folder" in res.stderr and file_out.read_text() == "{}"


def test_too_few_frames_and_au_mismatch(tmp_path):
    short = tmp_path / "short"
    short.mkdir()
    make_series("v0", t=8).save(short / "v0.parquet")
    assert_bad_input(["discover", str(short), *FAST], tmp_path / "g.json", "usable frame(s) for 8 variables",
         "discovery needs at least 11")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    make_series("a").save(mixed / "a.parquet")
    make_series("b", names=["AU01", "AU02", "AU04", "AU15"]).save(mixed / "b.parquet")
    assert_bad_input(["discover", str(mixed)], tmp_path / "g.json", "AU names differ", "lacks AU12", "has extra AU15")


def test_timeseries_discovery_with_a_context_corpus_and_graph_show(tmp_path):
    from causalex.simulate import generate_corpus, write_corpus

    a, b = tmp_path / "A", tmp_path / "B"
    write_corpus(generate_corpus("tiny", bias=3.0, seed=1), a)
    write_corpus(generate_corpus("tiny", bias=0.0, seed=2), b)
    out = tmp_path / "g.json"
    res = runner.invoke(app, ["discover", str(a), "--labels", str(a / "labels.csv"), "--context", str(b),
                              "--max-lag", "0.2", "-o", str(out)])
    assert res.exit_code == 0, res.output
    graph = AUGraph.load(out)
    prov = graph.provenance
    assert prov["method"] == "timeseries" and set(prov["contexts"]) == {"main", "B"} and prov["max_lag_s"] == 0.2
    assert "--context" in prov["command"] and "AU selection:" in res.stdout
    assert all(set(e.context_strength) == {"main", "B"} for e in graph.edges)
    shown = runner.invoke(app, ["graph", "show", str(out)])
    assert shown.exit_code == 0 and "AU selection" in shown.stdout and "strength B" in shown.stdout
    assert "tested in 1 other corpus(es): B" in shown.output
    png = tmp_path / "g.png"
    assert runner.invoke(app, ["graph", "plot", str(out), "-o", str(png)]).exit_code == 0 and png.stat().st_size > 10_000
    alone = runner.invoke(app, ["discover", str(a), "-o", str(tmp_path / "alone.json")])
    assert alone.exit_code == 0 and "one corpus only" in alone.stdout


def test_timeseries_bad_options_exit_2(corpus, tmp_path):
    out = tmp_path / "g.json"
    assert_bad_input(["discover", str(corpus), "--max-lag", "0"], out, "max lag must be > 0")
    assert_bad_input(["discover", str(corpus), "--max-lag", "30"], out, "usable frame", "--max-lag")
    assert_bad_input(["discover", str(corpus), "--context", str(tmp_path / "missing")], out, "missing")
    assert_bad_input(["discover", str(corpus), "--context", str(corpus), "--method", "fci", *FAST[2:]], out,
                     "context corpora need the timeseries method")
    assert_bad_input(["discover", str(corpus), "--context", str(corpus)], out, "context corpus 'corpus' holds 6 video(s) "
                     "of the labelled corpus itself")


def test_label_nodes_need_labels_on_the_command_line(corpus, tmp_path):
    assert_bad_input(["discover", str(corpus), "--label-nodes"], tmp_path / "g.json", "--label-nodes needs labels")
