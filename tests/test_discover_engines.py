"""The fast discovery engine returns exactly causal-learn's graphs (FCI PAG, PC CPDAG)."""

from __future__ import annotations

import numpy as np
import pytest

from causalex.discover import BackgroundKnowledge, PAG, discover_many, discover_pag, discover_pag_from_corr
from causalex.discover.pag import ARROW, TAIL

pytest.importorskip("causallearn")


def sem_data(seed: int, k: int, n: int, density: float, hidden: int = 0) -> np.ndarray:
    """Linear-Gaussian SEM over ``k + hidden`` nodes; hidden roots confound 2-3 observed nodes each.

    Shapes: returns ``[n, k]`` (hidden columns dropped).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(k)  # causal order of the observed nodes
    w = np.zeros((k + hidden, k + hidden))  # w[i, j]: effect of i on j
    for a in range(k):
        for b in range(a + 1, k):
            if rng.random() < density:
                w[order[a], order[b]] = rng.uniform(0.3, 1.0) * rng.choice([-1, 1])
    for h in range(k, k + hidden):
        for child in rng.choice(k, size=int(rng.integers(2, 4)), replace=False):
            w[h, child] = rng.uniform(0.6, 1.0) * rng.choice([-1, 1])
    x = np.zeros((n, k + hidden))
    x[:, k:] = rng.normal(size=(n, hidden))
    for j in order:
        x[:, j] = x @ w[:, j] + rng.normal(size=n)
    return x[:, :k]


def case(seed: int) -> dict:
    """Random problem ``seed``: 5-24 nodes, several sample sizes and alphas, some with latents."""
    rng = np.random.default_rng(10_000 + seed)
    k = int(rng.integers(5, 25))
    hidden = int(rng.integers(1, 4)) if seed % 3 == 0 else 0
    n = int(rng.choice([200, 500, 1000, 3000]))
    density = float(rng.uniform(0.1, 0.3)) * (12 / max(k, 12))  # keeps the largest graphs sparse
    return dict(data=sem_data(seed, k, n, density, hidden), alpha=float(rng.choice([0.01, 0.05, 0.1])),
                depth=int(rng.choice([-1, -1, -1, 2])))


SEEDS = list(range(54))


@pytest.mark.parametrize("seed", SEEDS)
def test_fast_equals_causallearn(seed):
    c = case(seed)
    for method in ("fci", "pc"):
        fast = discover_pag(c["data"], method=method, alpha=c["alpha"], depth=c["depth"])
        ref = discover_pag(c["data"], method=method, alpha=c["alpha"], depth=c["depth"], engine="causal-learn")
        assert np.array_equal(fast.marks, ref.marks), f"{method}: {fast} != {ref}"
        assert fast.meta["engine"] == "fast" and ref.meta["engine"] == "causal-learn"


@pytest.mark.parametrize("paths", ["tree", "lazy"])
def test_every_possible_dsep_evaluation_path_matches(monkeypatch, paths):
    from causalex.discover import possible_dsep as pd

    if paths == "tree":  # shared-work subset levels for every candidate list
        monkeypatch.setattr(pd, "TREE_NODES", (2, 16))
    else:  # no subset table, no shared-work levels: lazily generated subsets, small chunks
        monkeypatch.setattr(pd, "TREE_NODES", (99, 99))
        monkeypatch.setattr(pd, "TABLE_MAX_NODES", 0)
        monkeypatch.setattr(pd, "FIRST_CHUNK", 2)
    for seed in (21, 25, 42):  # cases where the possible-d-sep phase removes edges
        c = case(seed)
        fast = discover_pag(c["data"], alpha=c["alpha"], depth=c["depth"])
        ref = discover_pag(c["data"], alpha=c["alpha"], depth=c["depth"], engine="causal-learn")
        assert fast == ref


def test_latent_confounders_give_bidirected_edges():
    kinds = set()
    for seed in [s for s in SEEDS if s % 3 == 0]:
        c = case(seed)
        pag = discover_pag(c["data"], alpha=c["alpha"], depth=c["depth"])
        kinds |= {pag.edge_kind(i, j) for i, j, _, _ in pag.edges()}
    assert "<->" in kinds


def random_background(rng: np.random.Generator, names: list[str]) -> BackgroundKnowledge:
    bk = BackgroundKnowledge()
    k = len(names)
    for _ in range(int(rng.integers(1, 4))):
        a, b = rng.choice(k, 2, replace=False)
        bk.forbid(names[a], names[b])
    for _ in range(int(rng.integers(1, 3))):
        a, b = rng.choice(k, 2, replace=False)
        if (names[b], names[a]) not in bk.required:
            bk.require(names[a], names[b])
    if rng.random() < 0.7:
        first = rng.choice(k, 3, replace=False)
        bk.add_tier(0, [names[i] for i in first])
        bk.add_tier(1, [names[i] for i in range(k) if i not in first][:3])
    if rng.random() < 0.3:
        bk.forbid_within_tier(1)
    return bk


@pytest.mark.parametrize("seed", range(10))
def test_background_knowledge_same_in_both_engines(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(6, 12))
    data = sem_data(500 + seed, k, 1000, 0.3, hidden=seed % 2)
    names = [f"AU{i:02d}" for i in range(k)]
    bk = random_background(rng, names)
    for method in ("fci", "pc"):
        fast = discover_pag(data, method=method, background=bk, node_names=names)
        ref = discover_pag(data, method=method, background=bk, node_names=names, engine="causal-learn")
        assert fast == ref, f"{method} with {bk}: {fast} != {ref}"


def test_background_knowledge_is_obeyed():
    data = sem_data(7, 8, 2000, 0.35)
    names = [f"V{i}" for i in range(8)]
    free = discover_pag(data, method="pc", node_names=names)
    i, j, _, _ = next(free.edges())
    bk = BackgroundKnowledge().require(names[j], names[i]).forbid(names[i], names[j])
    both = BackgroundKnowledge().forbid(names[i], names[j]).forbid(names[j], names[i])
    for method in ("pc", "fci"):
        pag = discover_pag(data, method=method, node_names=names, background=bk)
        assert pag.marks[j, i] == ARROW and pag.marks[i, j] == TAIL  # names[j] --> names[i]
        assert not discover_pag(data, method=method, node_names=names, background=both).skeleton()[i, j]


def test_tiers_forbid_edges_into_earlier_tiers():
    data = sem_data(3, 7, 3000, 0.4)
    names = [f"V{i}" for i in range(7)]
    bk = BackgroundKnowledge().add_tier(0, names[4:]).add_tier(1, names[:4])
    pag = discover_pag(data, method="pc", node_names=names, background=bk)
    ref = discover_pag(data, method="pc", node_names=names, background=bk, engine="causal-learn")
    assert pag == ref
    for i, j, mark_i, mark_j in pag.edges():
        if (i < 4) != (j < 4):
            late, early = (i, j) if i < 4 else (j, i)
            assert not (pag.marks[early, late] == TAIL and pag.marks[late, early] == ARROW)  # no late --> early


def test_from_corr_and_many_match_single_runs():
    datasets = [sem_data(s, 9, 800, 0.3, hidden=1) for s in range(4)]
    corrs = np.stack([np.corrcoef(d.T) for d in datasets])
    for method in ("fci", "pc"):
        single = [discover_pag(d, method=method) for d in datasets]
        assert discover_pag_from_corr(corrs[0], 800, method=method) == single[0]
        assert discover_many(corrs, [800] * 4, method=method) == single


def test_fast_engine_torch_backend_matches_numpy():
    pytest.importorskip("torch")
    from causalex.discover.citest import FisherZ
    from causalex.discover.engines import _run_fast

    corrs = np.stack([np.corrcoef(sem_data(s, 8, 600, 0.3, hidden=1).T) for s in range(2)])
    test = FisherZ(corr=corrs, n=[600] * 2, alpha=0.05, backend="torch")
    names = [f"X{i + 1}" for i in range(8)]
    assert _run_fast(test, 8, names, "fci", 0.05, -1, None, -1, 0) == discover_many(corrs, [600] * 2)


@pytest.mark.gpu
def test_discover_many_on_cuda_matches_cpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    corrs = np.stack([np.corrcoef(sem_data(s, 12, 1000, 0.25, hidden=1).T) for s in range(8)])
    assert discover_many(corrs, [1000] * 8, device="cuda") == discover_many(corrs, [1000] * 8)


def test_pc_returns_cpdag_marks_only():
    pag = discover_pag(sem_data(11, 10, 2000, 0.3), method="pc")
    assert set(np.unique(pag.marks).tolist()) <= {0, TAIL, ARROW}
    assert isinstance(pag, PAG)


# ----- bad input -----------------------------------------------------------------------------------
GOOD = sem_data(1, 5, 200, 0.3)


@pytest.mark.parametrize("engine", ["fast", "causal-learn"])
@pytest.mark.parametrize("mutate, message", [
    (lambda d: np.where(np.arange(5) == 2, 3.0, d), "'X3' is constant"),
    (lambda d: np.where((np.arange(200) == 17)[:, None] & (np.arange(5) == 1), np.nan, d), "NaN/inf in column 'X2'"),
    (lambda d: np.where((np.arange(200) == 3)[:, None] & (np.arange(5) == 4), np.inf, d), "row 3"),
    (lambda d: d[:7], "at least 8 frames"),
    (lambda d: np.column_stack([d, 2 * d[:, 0]]), "linearly dependent"),
    (lambda d: d[:, 0], "2-D"),
    (lambda d: d[:, :1], "at least 2 variables"),
])
def test_bad_data_raises_input_error(engine, mutate, message):
    from causalex.errors import InputError

    with pytest.raises(InputError, match=message):
        discover_pag(mutate(GOOD), engine=engine)


@pytest.mark.parametrize("kwargs, message", [
    (dict(node_names=["a", "b"]), "2 names but the data has 5"),
    (dict(node_names=["a", "b", "a", "c", "d"]), "repeated: a"),
    (dict(method="ges"), "valid: fci, pc"),
    (dict(engine="tetrad"), "valid: fast, causal-learn"),
    (dict(ci_test="kci"), "valid: fisherz"),
    (dict(alpha=1.5), "alpha"),
    (dict(depth=-2), "depth"),
    (dict(background=BackgroundKnowledge().forbid("X1", "AU99")), "unknown node"),
])
def test_bad_options_raise_input_error(kwargs, message):
    from causalex.errors import InputError

    with pytest.raises(InputError, match=message):
        discover_pag(GOOD, **kwargs)


def test_bad_correlation_input_raises_input_error():
    from causalex.errors import InputError

    corr = np.corrcoef(GOOD.T)
    with pytest.raises(InputError, match="below K"):
        discover_pag_from_corr(corr, 6)
    with pytest.raises(InputError, match="symmetric"):
        discover_pag_from_corr(corr + np.triu(np.full((5, 5), 0.1), 1), 200)
    with pytest.raises(InputError, match=r"\[R, K, K\]"):
        discover_many(corr, [200])
    with pytest.raises(InputError, match="2 correlation matrices but 1"):
        discover_many(np.stack([corr, corr]), [200])
    singular = np.ones((3, 3))
    with pytest.raises(InputError, match="singular"):
        discover_pag_from_corr(singular, 100)
