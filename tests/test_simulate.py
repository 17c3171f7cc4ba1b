"""Tests of the biased-corpus simulator (causalex.simulate)."""

from __future__ import annotations

import numpy as np
import pytest

from causalex.errors import InputError
from causalex.fileio import file_sha256
from causalex.graph import AUGraph
from causalex.labels import group_by_video, read_labels_csv
from causalex.readers import load_series_inputs
from causalex.simulate import (AU_NAMES, MECHANISM, PRESETS, generate_corpus, get_preset, simulate_corpus,
                               write_corpus)
from causalex.simulate.mechanism import apply_mechanism


@pytest.fixture(scope="module")
def tiny():
    return generate_corpus("tiny", seed=3)


def test_tiny_shapes(tiny):
    p = PRESETS["tiny"]
    assert len(tiny.series) == p.n_videos
    assert {s.subject for s in tiny.series} == {f"s{i + 1:02d}" for i in range(p.n_subjects)}
    for s in tiny.series:
        assert s.values.shape == (s.n_frames, len(AU_NAMES)) and s.au_names == AU_NAMES
        assert s.fps == p.fps and s.video.startswith(s.subject + "_v")
        assert s.values.min() >= 0.0 and s.values.max() <= 5.0
        assert np.all(s.values[~s.mask] == 0.0)
        assert np.allclose(s.values, np.round(s.values, 2), atol=1e-6)  # what the CSV holds
    assert sum(iv.type == "macro" for iv in tiny.labels) == p.n_macro
    assert sum(iv.type == "micro" for iv in tiny.labels) == p.n_micro


def test_labels_are_valid(tiny):
    frames = {s.video: s.n_frames for s in tiny.series}
    subject = {s.video: s.subject for s in tiny.series}
    for video, ivs in group_by_video(tiny.labels).items():
        fps = PRESETS["tiny"].fps
        for iv in ivs:
            assert 0 <= iv.onset <= iv.apex <= iv.offset < frames[video]
            assert iv.subject == subject[video] and iv.emotion in ("negative", "positive", "surprise", "others")
            seconds = iv.length / fps
            assert seconds < 0.5 if iv.type == "micro" else 0.5 <= seconds <= 4.0
        for a, b in zip(ivs, ivs[1:]):
            assert a.offset < b.onset  # no overlap within a video


def test_expressions_move_their_aus(tiny):
    # Macro-expressions must stand out from the resting face in the AUs of their emotion pattern.
    series = {s.video: s for s in tiny.series}
    gains = []
    for iv in tiny.labels:
        if iv.type != "macro":
            continue
        s = series[iv.video]
        roots = {"positive": "AU12", "surprise": "AU01"}.get(iv.emotion)
        if roots is None:
            continue
        k = AU_NAMES.index(roots)
        gains.append(s.values[iv.apex, k] - np.median(s.values[:, k]))
    assert gains and np.mean(gains) > 0.8


def test_same_seed_same_corpus_different_seed_differs():
    a, b, c = (generate_corpus("tiny", seed=s) for s in (5, 5, 6))
    assert a.labels == b.labels and a.summary == b.summary
    assert all(np.array_equal(x.values, y.values) and np.array_equal(x.mask, y.mask)
               for x, y in zip(a.series, b.series))
    assert a.labels != c.labels


def test_same_seed_same_bytes(tmp_path):
    a, b = generate_corpus("tiny", seed=1), generate_corpus("tiny", seed=1)
    write_corpus(a, tmp_path / "a")
    write_corpus(b, tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert {"labels.csv", "true_graph.json", "corpus.json"} <= set(names)
    for n in names:
        assert file_sha256(tmp_path / "a" / n) == file_sha256(tmp_path / "b" / n), n


def _bias_correlation(corpus) -> float:
    """Correlation between the bias AUs' mean intensity and 'an expression is within 1 s'."""
    xs, ys = [], []
    aus = [AU_NAMES.index(a) for a in corpus.preset.bias.aus]
    labels = group_by_video(corpus.labels)
    for s in corpus.series:
        near = np.zeros(s.n_frames, bool)
        pad = int(s.fps)
        for iv in labels.get(s.video, []):
            near[max(0, iv.onset - pad):iv.offset + pad] = True
        xs.append(s.values[s.mask][:, aus].mean(axis=1))
        ys.append(near[s.mask])
    return float(np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1])


def test_bias_ties_its_aus_to_expressions():
    unbiased = generate_corpus("small", bias=0.0, seed=2, n_videos=6, n_subjects=3)
    biased = generate_corpus("small", bias=1.5, seed=2, n_videos=6, n_subjects=3)
    assert unbiased.labels == biased.labels  # the knob changes only the bias latent
    # Without bias the correlation is chance only (it varies by about +-0.2 between seeds of so few videos,
    # from slow baseline wander); the bias knob adds a large, consistent dependence.
    assert abs(_bias_correlation(unbiased)) < 0.25
    assert _bias_correlation(biased) > _bias_correlation(unbiased) + 0.3
    bias_edges = [e for e in biased.true_graph.edges if e.reason == "latent bias"]
    assert bias_edges and not any(e.kept for e in bias_edges)
    assert not [e for e in unbiased.true_graph.edges if e.reason == "latent bias"]


def test_presets_have_different_bias():
    assert PRESETS["casme2"].bias.aus != PRESETS["samm"].bias.aus
    for p in PRESETS.values():  # bias AUs are never part of the true mechanism, unless the preset asks for it
        mech = {e.cause for e in p.mechanism.edges} | {e.effect for e in p.mechanism.edges} | p.mechanism.roots
        assert p.bias.on_mechanism or not set(p.bias.aus) & mech, p.name
    assert any(p.bias.on_mechanism for p in PRESETS.values())


def test_true_graph_matches_mechanism(tiny):
    g = tiny.true_graph
    kept = {(e.source, e.target) for e in g.kept_edges()}
    assert kept == {(e.cause, e.effect) for e in MECHANISM}
    assert all(e.kind == "-->" for e in g.kept_edges())
    for e in MECHANISM:
        assert g.adjacency[g.nodes.index(e.cause), g.nodes.index(e.effect)] == 1
    assert g.provenance["bias"]["aus"] == list(PRESETS["tiny"].bias.aus)


def test_mechanism_lag_in_seconds():
    # An impulse on AU01 reaches AU02 0.07 s later, whatever the frame rate.
    for fps in (30.0, 200.0):
        act = np.zeros((400, len(AU_NAMES)))
        act[10, AU_NAMES.index("AU01")] = 1.0
        apply_mechanism(act, fps)
        got = int(np.flatnonzero(act[:, AU_NAMES.index("AU02")])[0]) - 10
        assert got == round(0.07 * fps)


def test_effect_follows_cause_in_data():
    # Lagged cross-correlation: the effect AU is best predicted by the cause's past, not its future.
    corpus = generate_corpus("small", seed=0, n_videos=6, n_subjects=3)
    i, j = AU_NAMES.index("AU12"), AU_NAMES.index("AU06")
    lag = 3
    fwd, bwd = [], []
    for s in corpus.series:
        v = np.diff(s.values, axis=0)  # differences remove the slow wander
        fwd.append(np.corrcoef(v[:-lag, i], v[lag:, j])[0, 1])
        bwd.append(np.corrcoef(v[lag:, i], v[:-lag, j])[0, 1])
    assert np.mean(fwd) > np.mean(bwd) + 0.1


def test_round_trip_through_openface_csv(tmp_path, tiny):
    write_corpus(tiny, tmp_path)
    loaded = {s.video: s for s in load_series_inputs([tmp_path], fps=PRESETS["tiny"].fps)}
    assert set(loaded) == {s.video for s in tiny.series}
    for s in tiny.series:
        r = loaded[s.video]
        assert r.au_names == s.au_names and r.n_frames == s.n_frames
        assert np.array_equal(r.mask, s.mask)
        assert np.allclose(r.values, s.values, atol=1e-6)
    labels = read_labels_csv(tmp_path / "labels.csv")
    assert labels == tiny.labels
    graph = AUGraph.load(tmp_path / "true_graph.json")
    assert np.array_equal(graph.adjacency, tiny.true_graph.adjacency)


def test_write_refuses_foreign_folder_and_replaces_old_corpus(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        simulate_corpus(tmp_path, "tiny", seed=0)
    out = tmp_path / "corpus"
    simulate_corpus(out, "tiny", seed=0)
    simulate_corpus(out, "tiny", seed=0, bias=0.0)
    first = {p.name for p in out.iterdir()}
    write_corpus(generate_corpus("tiny", seed=0, n_videos=2), out)
    assert {p.name for p in out.iterdir()} < first  # stale videos of the earlier corpus are gone


def test_bad_preset_and_arguments():
    with pytest.raises(ValueError, match="valid presets: tiny, small, demo, casme2, samm"):
        get_preset("casme3")
    with pytest.raises(InputError, match="unknown preset field"):
        generate_corpus("tiny", n_vidoes=3)
    with pytest.raises(InputError, match="bias"):
        generate_corpus("tiny", bias=-1.0)
    with pytest.raises(InputError, match="seed"):
        generate_corpus("tiny", seed=-2)
    with pytest.raises(InputError, match="do not fit"):
        generate_corpus("tiny", n_macro=400)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["casme2"])
def test_preset_summary_matches_targets(name):
    summary = generate_corpus(name, seed=0).summary
    for key, target in summary["targets"].items():
        assert abs(summary[key] - target) <= 0.1 * target, (key, summary[key], target)
    assert 0.005 <= summary["masked_fraction"] <= 0.035


@pytest.mark.parametrize("seed", [1, 2, 4, 5])
def test_every_video_has_a_labelled_expression(seed):
    # Subjects come from labels.csv (OpenFace CSVs carry none): a video without any label would lose its subject.
    corpus = generate_corpus("small", seed=seed)
    labelled = {iv.video for iv in corpus.labels}
    assert labelled == {s.video for s in corpus.series}
