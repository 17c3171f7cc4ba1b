"""Region optical-flow series rendered from simulated AU series (causalex.simulate.regions, simulate --features roi)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from causalex.readers import load_series_inputs
from causalex.series import ROI_SCALE, AUSeries
from causalex.simulate import AU_NAMES, generate_corpus, write_corpus
from causalex.simulate.regions import (_MIRROR, canonical_face, displacement, flow_errors, region_matrix,
                                       render_corpus_regions, render_regions)
from causalex.train.recipes import feature_mismatch, make_recipe
from causalex_cli.main import app

runner = CliRunner()


def _column(layout, au):
    return region_matrix(layout, AU_NAMES)[:, AU_NAMES.index(au)]  # [R, 2]


def test_canonical_face_is_mirror_symmetric_and_the_mirror_map_is_an_involution():
    face = canonical_face()
    assert face.shape == (68, 2)
    assert np.allclose(face[[36, 39, 42, 45]].mean(axis=0), 0.0)  # eye corners centred on the eye line
    for i, j in _MIRROR.items():
        assert _MIRROR[j] == i
        assert np.allclose(face[j], face[i] * [-1, 1])


def test_each_au_moves_its_own_regions():
    names = [r for r in ("brow_l", "brow_r", "mouth", "nose_wing_l", "nose_wing_r")]
    brow = np.abs(_column("metst5", "AU01")).max(axis=1)
    assert brow[names.index("brow_l")] > 1.0 and brow[names.index("mouth")] < 0.1
    smile = np.abs(_column("auwgcn12", "AU12")).max(axis=1)
    assert smile.argmax() in (8, 10)  # mouth_48 or mouth_54: the lip corners
    assert smile[:6].max() < 0.05  # no brow patch moves
    lift = _column("metst5", "AU01")
    assert lift[0, 1] < 0 and lift[1, 1] < 0  # brows go up (y down is positive)


def test_the_two_sides_move_as_mirror_images():
    frown = _column("metst5", "AU04")  # brows drawn together: x opposite, y equal
    assert np.isclose(frown[0, 0], -frown[1, 0]) and np.isclose(frown[0, 1], frown[1, 1])
    assert frown[0, 0] > 0 and frown[0, 1] > 0  # image-left brow moves right (inward) and down


def test_displacement_follows_the_running_reference_and_resets_after_a_gap():
    fps, tau = 30.0, 2.0
    values = np.zeros((300, 1))
    values[100:] = 1.0  # a step, then held
    mask = np.ones(300, bool)
    d = displacement(values, mask, fps, tau)[:, 0]
    assert np.allclose(d[:100], 0.0) and np.isclose(d[100], 1.0)
    assert np.isclose(d[160], np.exp(-60 / (tau * fps)), rtol=0.02)  # fades with the time constant
    mask[200:210] = False  # tracking lost: the reference restarts at the next valid frame
    d = displacement(values, mask, fps, tau)[:, 0]
    assert np.all(d[200:210] == 0.0) and np.allclose(d[210:], 0.0)


def test_render_regions_shapes_mask_and_units():
    sim = generate_corpus("tiny", seed=1)
    s = sim.series[0]
    s.mask[5:9] = False
    mag = render_regions(s, "metst5")
    xy = render_regions(s, "auwgcn12", "xy")
    assert mag.values.shape == (s.n_frames, 5) and xy.values.shape == (s.n_frames, 24)
    assert mag.node_kind == "roi:metst5" and xy.node_kind == "roi:auwgcn12" and mag.scale == ROI_SCALE
    assert np.all(mag.values >= 0) and np.all(mag.values[5:9] == 0) and not mag.mask[5:9].any()
    assert xy.au_names[:2] == ["brow_l_18_x", "brow_l_18_y"]
    with pytest.raises(ValueError, match="AU series"):
        render_regions(mag, "metst5")
    with pytest.raises(ValueError, match="valid"):
        render_regions(s, "nope")


def _inside_over_outside(sim):
    inside, outside = [], []
    for s in sim.series:
        flag = np.zeros(s.n_frames, bool)
        for lab in sim.labels:
            if lab.video == s.video:
                flag[lab.onset:lab.offset + 1] = True
        total = s.values.sum(axis=1)
        inside.append(total[flag & s.mask])
        outside.append(total[~flag & s.mask])
    return np.concatenate(inside).mean() / np.concatenate(outside).mean()


def test_regions_move_more_inside_labelled_expressions():
    au = generate_corpus("small", seed=3)
    clean = render_corpus_regions(au, "auwgcn12", seed=3, noise_sd=0.0, drift_sd=0.0)
    noisy = render_corpus_regions(au, "auwgcn12", seed=3)
    assert _inside_over_outside(clean) > 2.0 and 1.1 < _inside_over_outside(noisy) < _inside_over_outside(clean)
    assert noisy.summary["features"] == "roi:auwgcn12"
    a, b = noisy.series[0].values[:, 0], noisy.series[0].values[:, 3]  # brow_l_18 vs brow_r_23: never identical
    assert not np.allclose(a, b)


def test_flow_errors_have_the_calibrated_size_and_smoothness():
    err = flow_errors(np.random.default_rng(0), 30_000, 4, 30.0, noise_sd=0.3, drift_sd=1.6)
    assert err.shape == (30_000, 4, 2)
    assert np.isclose(err.std(), np.hypot(1.6, 0.3), rtol=0.1)
    shared = np.corrcoef(err[:, 0, 0], err[:, 1, 0])[0, 1]
    assert 0.3 < shared < 0.6  # half of the drift's variance is common to all regions
    lag = np.corrcoef(err[1:, 0, 0], err[:-1, 0, 0])[0, 1]
    assert 0.85 < lag < 0.99  # slow, as real region flow is (lag-1 autocorrelation 0.85-0.9)


def test_write_corpus_switches_formats_in_place(tmp_path):
    sim = generate_corpus("tiny", seed=2)
    write_corpus(sim, tmp_path)
    assert len(list(tmp_path.glob("*.csv"))) == 4 + 1  # videos + labels.csv
    write_corpus(render_corpus_regions(sim, "boosting18"), tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == ["labels.csv"]
    series = [AUSeries.load(p) for p in sorted(tmp_path.glob("*.parquet"))]
    assert len(series) == 4 and all(s.node_kind == "roi:boosting18" for s in series)
    assert feature_mismatch(make_recipe("boostingvrme"), series[0].au_names, series[0].meta["node_kind"]) is None
    assert feature_mismatch(make_recipe("causalex"), series[0].au_names, series[0].meta["node_kind"]) is not None
    assert len(load_series_inputs([tmp_path])) == 4  # the folder reads as a corpus (no duplicate videos)


def test_cli_simulate_regions_and_refusals(tmp_path):
    out = tmp_path / "c"
    result = runner.invoke(app, ["simulate", "-o", str(out), "--preset", "tiny", "--features", "roi",
                                 "--roi-layout", "metst5", "--roi-value", "xy", "--questions"])
    assert result.exit_code == 0, result.output
    assert "roi:metst5" in result.output and len(list(out.glob("*.parquet"))) == 4
    assert json.loads((out / "corpus.json").read_text())["roi_value"] == "xy"
    questions = (out / "questions.jsonl").read_text()
    assert questions and "brow_" not in questions and "mouth" not in questions  # asked of the AU corpus
    bad = runner.invoke(app, ["simulate", "-o", str(tmp_path / "d"), "--roi-layout", "metst5"])
    assert bad.exit_code != 0 and "--features roi" in bad.output and not (tmp_path / "d").exists()
