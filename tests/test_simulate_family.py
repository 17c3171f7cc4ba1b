"""Tests of the simulator's variations: mechanisms per corpus, random mechanisms, sub-frame lags, per-AU bias
delays, bias on mechanism AUs, the speech latent and corpus families (causalex.simulate)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from causalex.errors import InputError
from causalex.fileio import file_sha256
from causalex.graph import AUGraph
from causalex.simulate import (AU_NAMES, DEFAULT_MECHANISM, FAMILIES, MECHANISM, PRESETS, BiasSpec, MechanismEdge,
                               MechanismSpec, family_of, generate_corpus, generate_family, random_mechanism,
                               write_family)
from causalex.simulate.mechanism import BLINK_AU, apply_mechanism

# Arrays of `generate_corpus("tiny", seed=0)` before mechanisms became per-preset (values and mask bytes).
TINY_SEED0_ARRAYS = "22f5a634355b7631213c26f4ee7bda634c5e0e5f7deab46adc84d99222f52492"
SMALL = dict(n_subjects=2, n_videos=2, n_macro=4, n_micro=2)  # a quick family member


def _arrays_sha(corpus) -> str:
    h = hashlib.sha256()
    for s in corpus.series:
        h.update(s.values.tobytes())
        h.update(s.mask.tobytes())
    return h.hexdigest()


def test_default_presets_unchanged():
    assert _arrays_sha(generate_corpus("tiny", seed=0)) == TINY_SEED0_ARRAYS
    assert DEFAULT_MECHANISM.edges == MECHANISM
    for name in ("tiny", "small", "demo", "casme2", "samm"):
        p = PRESETS[name]
        assert p.mechanism is DEFAULT_MECHANISM and p.speech_per_min == 0.0 and p.bias.delays() == (0.0, 0.0)
    a = generate_corpus("tiny", seed=2)
    assert _arrays_sha(a) == _arrays_sha(generate_corpus("tiny", seed=2, mechanism="default"))
    assert a.summary["mechanism"]["name"] == "default" and a.true_graph.provenance["mechanism_name"] == "default"


@pytest.mark.parametrize("seed", range(12))
def test_random_mechanism_is_a_bounded_dag(seed):
    avoid, include = ("AU14", "AU23"), ("AU12",)
    m = random_mechanism(seed, avoid=avoid, include=include)
    assert m == random_mechanism(seed, avoid=avoid, include=include) and m.seed == seed and not m.problems()
    assert 8 <= len(m.edges) <= 12
    indeg: dict[str, int] = {}
    parents: dict[str, set[str]] = {}
    for e in m.edges:
        indeg[e.effect] = indeg.get(e.effect, 0) + 1
        parents.setdefault(e.effect, set()).add(e.cause)
        assert 0.02 <= e.lag_s <= 0.2 and 0.4 <= e.weight <= 0.9
    assert max(indeg.values()) <= 2
    used: set[str] = set()  # listed in a topological order: an effect is never a cause already used ...
    for e in m.edges:
        assert e.effect not in used
        used.add(e.cause)
    left = {(e.cause, e.effect) for e in m.edges}  # ... and acyclic (Kahn: peel off AUs without causes)
    while left:
        free = {a for a, _ in left} - {b for _, b in left}
        assert free, "cycle"
        left = {(a, b) for a, b in left if a not in free}
    joined = {frozenset((e.cause, e.effect)) for e in m.edges}
    assert any(len(p) == 2 and frozenset(p) not in joined for p in parents.values())  # unshielded collider
    causes, effects = {e.cause for e in m.edges}, {e.effect for e in m.edges}
    assert causes & effects  # a chain
    assert min(e.lag_s for e in m.edges) < 1 / 30 and max(e.lag_s for e in m.edges) >= 0.1
    assert m.roots <= causes - effects and set(m.patterns) == {"negative", "positive", "surprise", "others"}
    assert not (set(avoid) | {BLINK_AU}) & m.aus and set(include) <= m.aus


def test_random_mechanisms_differ_by_seed_and_round_trip_through_json():
    a, b = random_mechanism(1), random_mechanism(2)
    assert a.edges != b.edges
    assert MechanismSpec.from_json(a.to_json()) == a


def test_sub_frame_lag_interpolates_within_the_frame():
    w, t0 = 0.5, 10
    spec = MechanismSpec.build("x", [MechanismEdge("AU01", "AU02", w, 0.02)], DEFAULT_MECHANISM.patterns, {})
    act = np.zeros((40, len(AU_NAMES)))
    act[t0, AU_NAMES.index("AU01")] = 1.0
    apply_mechanism(act, 30.0, spec)  # 0.02 s = 0.6 frame at 30 fps
    effect = act[:, AU_NAMES.index("AU02")]
    assert effect[t0] == pytest.approx(w * 0.4) and effect[t0 + 1] == pytest.approx(w * 0.6)
    assert np.count_nonzero(effect) == 2
    act = np.zeros((40, len(AU_NAMES)))
    act[t0, AU_NAMES.index("AU01")] = 1.0
    apply_mechanism(act, 200.0, spec)  # 4 frames at 200 fps: a whole-frame lag
    assert np.flatnonzero(act[:, AU_NAMES.index("AU02")]).tolist() == [t0 + 4]


def test_random_mechanism_corpus_uses_and_records_it():
    c = generate_corpus("family-a", seed=0, mechanism="random", mechanism_seed=4, **SMALL)
    m = c.preset.mechanism
    assert m.name == "random" and m.seed == 4
    assert {(e.source, e.target) for e in c.true_graph.kept_edges()} == {(e.cause, e.effect) for e in m.edges}
    assert c.summary["mechanism"] == m.to_json() and c.true_graph.provenance["mechanism_seed"] == 4
    lag_frames = [row["lag_frames"] for row in c.true_graph.provenance["mechanism"]]
    assert lag_frames == [round(e.lag_s * 30.0, 3) for e in m.edges]
    assert not set(PRESETS["family-a"].bias.aus) & m.aus  # off-mechanism bias AUs stay off
    again = generate_corpus("family-a", seed=0, mechanism=MechanismSpec.from_json(c.summary["mechanism"]), **SMALL)
    assert _arrays_sha(again) == _arrays_sha(c)


def _fill(s, k: int) -> np.ndarray:
    """AU ``k`` of a series with masked frames interpolated (tracking failures hit every AU at once)."""
    x, t = s.values[:, k].astype(float), np.arange(s.n_frames)
    return np.interp(t, t[s.mask], x[s.mask])


def _xcorr_peak(corpus, a: str, b: str, max_lag: int = 10) -> int:
    """Lag (frames) at which ``b`` best follows ``a``: mean correlation of slow-trend-removed levels."""
    i, j = AU_NAMES.index(a), AU_NAMES.index(b)
    curves = []
    for s in corpus.series:
        x, y = _fill(s, i), _fill(s, j)
        x, y = x - uniform_filter1d(x, 301), y - uniform_filter1d(y, 301)
        curves.append([np.corrcoef(x[:len(x) - lag], y[lag:])[0, 1] if lag >= 0 else
                       np.corrcoef(x[-lag:], y[:len(y) + lag])[0, 1] for lag in range(-max_lag, max_lag + 1)])
    return int(np.argmax(np.nanmean(curves, axis=0))) - max_lag


def test_bias_delay_shifts_the_cross_correlation_peak():
    spec = PRESETS["family-a"].bias  # AU23 reaches the latent 0.10 s (3 frames) after AU20
    assert spec.aus == ("AU20", "AU23") and spec.delays_s == (0.0, 0.10)
    delayed = generate_corpus("family-a", seed=0)  # at the preset's own strength
    at_once = generate_corpus("family-a", seed=0, bias=replace(spec, delays_s=()))
    assert _xcorr_peak(delayed, "AU20", "AU23") == 3
    assert _xcorr_peak(at_once, "AU20", "AU23") == 0
    assert delayed.summary["bias"]["delays_s"] == [0.0, 0.10]


def test_bias_on_mechanism_aus_is_recorded():
    c = generate_corpus("family-b", seed=0, **SMALL)
    bias = c.summary["bias"]
    assert bias["aus"] == ["AU12", "AU17"] and bias["on_mechanism"] and set(bias["aus"]) <= c.preset.mechanism.aus
    latent = [e for e in c.true_graph.edges if e.reason == "latent bias"]
    assert [(e.source, e.target, e.kind, e.kept) for e in latent] == [("AU12", "AU17", "<->", False)]
    assert {("AU12", "AU06"), ("AU12", "AU25")} <= {(e.source, e.target) for e in c.true_graph.kept_edges()}
    # A bias pair that a mechanism edge joins keeps the one --> edge and says so.
    both = BiasSpec(aus=("AU12", "AU06"), weights=(1.0, 1.0), strength=1.0, lead_s=(0.2, 0.5), tail_s=(0.2, 0.5),
                    p_event=0.9, spurious_per_min=0.3, on_mechanism=True)
    g = generate_corpus("tiny", seed=0, bias=both).true_graph
    pair = [e for e in g.edges if {e.source, e.target} == {"AU12", "AU06"}]
    assert len(pair) == 1 and pair[0].kind == "-->" and pair[0].kept and "also latent bias" in pair[0].reason
    with pytest.raises(InputError, match="on_mechanism"):
        generate_corpus("tiny", seed=0, bias=replace(both, on_mechanism=False))


def test_single_au_bias_records_no_pair(tmp_path):
    c = generate_corpus("family-c", seed=0, **SMALL)
    assert c.summary["bias"]["aus"] == ["AU45"] and c.summary["bias"]["strength"] > 0
    assert not [e for e in c.true_graph.edges if e.kind == "<->"]
    c.true_graph.save(tmp_path / "g.json")
    assert AUGraph.load(tmp_path / "g.json").provenance["bias"]["aus"] == ["AU45"]


def test_speech_moves_the_mouth_aus_together():
    shape = dict(n_subjects=2, n_videos=3, n_macro=4, n_micro=1, video_mean_s=120.0, video_min_s=60.0)
    talk = generate_corpus("sparse", seed=1, **shape)
    quiet = generate_corpus("sparse", seed=1, speech_per_min=0.0, **shape)
    assert talk.labels == quiet.labels  # speech is never labelled
    mouth = [AU_NAMES.index(a) for a in PRESETS["sparse"].speech_aus]
    inside, outside = [], []
    for a, b in zip(talk.series, quiet.series):
        talking = np.abs(a.values[:, mouth[0]] - b.values[:, mouth[0]]) > 0  # its own stream: only speech differs
        ok = a.mask[1:] & a.mask[:-1]
        v = np.diff(a.values[:, mouth], axis=0)
        for sel, out in ((talking[1:] & ok, inside), (~talking[1:] & ok, outside)):
            if sel.sum() > 30:
                out.append(np.corrcoef(v[sel].T)[np.triu_indices(len(mouth), 1)].mean())
    assert inside and np.mean(inside) > 0.4 and np.mean(inside) > np.mean(outside) + 0.3
    speech = [e for e in talk.true_graph.edges if "latent speech" in e.reason]
    assert speech and talk.summary["speech"]["aus"] == list(PRESETS["sparse"].speech_aus)
    assert not [e for e in quiet.true_graph.edges if "latent speech" in e.reason]


def test_sparse_preset_is_sparse():
    p = PRESETS["sparse"]
    assert (p.n_macro + p.n_micro) / (p.n_videos * p.video_mean_s / 60.0) <= 1.0
    assert p.speech_per_min > 0 and p.head_move_per_min > PRESETS["small"].head_move_per_min


def test_family_shares_the_mechanism_and_differs_in_bias():
    fam = generate_family("family", seed=0, mechanism="random", mechanism_seed=5, **SMALL)
    assert list(fam) == list(FAMILIES["family"]) and family_of("family-b") == FAMILIES["family"]
    mechs = {c.preset.mechanism for c in fam.values()}
    assert len(mechs) == 1 and next(iter(mechs)).seed == 5
    assert len({tuple(c.summary["bias"]["aus"]) for c in fam.values()}) == len(fam)
    assert [c.summary["seed"] for c in fam.values()] == list(range(len(fam)))
    assert {c.preset.fps for c in fam.values()} == {30.0, 200.0}
    edges = {frozenset((e.source, e.target)) for e in fam["family-a"].true_graph.kept_edges()}
    assert all({frozenset((e.source, e.target)) for e in c.true_graph.kept_edges()} == edges for c in fam.values())
    one = generate_corpus("family-b", seed=1, mechanism="random", mechanism_seed=5, **SMALL)  # one at a time
    assert one.preset.mechanism == fam["family-b"].preset.mechanism
    assert _arrays_sha(one) == _arrays_sha(fam["family-b"])
    default = generate_family(["family-a", "family-c"], seed=3, **SMALL)
    assert all(c.preset.mechanism is DEFAULT_MECHANISM for c in default.values())


def test_write_family_is_deterministic(tmp_path):
    for out in ("x", "y"):
        write_family(generate_family(["family-a", "family-c"], seed=2, mechanism="random", **SMALL), tmp_path / out)
    files = sorted(p.relative_to(tmp_path / "x") for p in (tmp_path / "x").rglob("*") if p.is_file())
    assert {f.parts[0] for f in files} == {"family-a", "family-c"}
    for f in files:
        assert file_sha256(tmp_path / "x" / f) == file_sha256(tmp_path / "y" / f), f


def test_bad_mechanism_and_family_arguments():
    with pytest.raises(InputError, match="valid: default, random"):
        generate_corpus("tiny", mechanism="causal")
    with pytest.raises(InputError, match="mechanism seed"):
        generate_corpus("tiny", mechanism="random", mechanism_seed=-1)
    with pytest.raises(InputError, match="valid families: family"):
        generate_family("famly")
    with pytest.raises(InputError, match="valid presets"):
        generate_family(["family-a", "nope"])
    with pytest.raises(InputError, match="leave out and take in"):
        random_mechanism(0, avoid=["AU12"], include=["AU12"])
    with pytest.raises(InputError, match="topological"):
        generate_corpus("tiny", mechanism=MechanismSpec.build("loop", [MechanismEdge("AU01", "AU02", 0.5, 0.1),
                                                                        MechanismEdge("AU02", "AU01", 0.5, 0.1)],
                                                              DEFAULT_MECHANISM.patterns, {}))
