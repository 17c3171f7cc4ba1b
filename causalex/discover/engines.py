"""Public entry points of causal discovery: FCI (a PAG) or PC (a CPDAG) from data or correlations.

Two engines give the same graph: ``"fast"`` (ours: batched CI tests, numpy or torch) and
``"causal-learn"`` (the reference implementation, silenced). The fast engine can also start from
correlation matrices (`discover_pag_from_corr`) and run many discoveries at once (`discover_many`, used by
the bootstrap), batching the CI tests of all runs together.

Both algorithms are deterministic: ``seed`` is accepted for a uniform signature across causalex and
recorded in the result's metadata, but nothing here is random. One caveat, inherited from causal-learn:
its FCI iterates a few node sets whose order follows Python's per-process string hashing, which in rare
cases changes an orientation; the fast engine iterates the same sets in the same order, so the two
engines agree within a process, and both may differ between processes unless ``PYTHONHASHSEED`` is set.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.citest import CI_TESTS, make_ci_test
from causalex.discover.fast_fci import fci_orient
from causalex.discover.fast_pc import pc_orient
from causalex.discover.pag import PAG
from causalex.discover.skeleton import adjacency_search
from causalex.errors import InputError

log = logging.getLogger(__name__)

METHODS = ("fci", "pc")
ENGINES = ("fast", "causal-learn")


def default_node_names(k: int) -> list[str]:
    """causal-learn's default names ``X1 .. XK``."""
    return [f"X{i + 1}" for i in range(k)]


def _check_options(method: str, alpha: float, depth: int, engine: str = "fast", ci_test: str = "fisherz") -> None:
    """Raise `InputError` for an unknown method/engine/CI test or an invalid alpha/depth."""
    if method not in METHODS:
        raise InputError(f"unknown discovery method {method!r}; valid: {', '.join(METHODS)}")
    if engine not in ENGINES:
        raise InputError(f"unknown discovery engine {engine!r}; valid: {', '.join(ENGINES)}")
    if ci_test not in CI_TESTS:
        raise InputError(f"unknown CI test {ci_test!r}; valid: {', '.join(sorted(CI_TESTS))}")
    if engine == "causal-learn" and ci_test != "fisherz":
        raise InputError(f"the causal-learn engine supports the fisherz CI test only, got {ci_test!r}")
    if not (isinstance(alpha, (int, float)) and 0 < float(alpha) < 1):
        raise InputError(f"alpha must be in (0, 1), got {alpha!r}")
    if not isinstance(depth, (int, np.integer)) or isinstance(depth, bool) or depth < -1:
        raise InputError(f"depth must be an int >= -1 (-1: no limit), got {depth!r}")


def _check_names(node_names: Sequence[str] | None, k: int) -> list[str]:
    """K unique node names (default ``X1..XK``), or `InputError`."""
    if node_names is None:
        return default_node_names(k)
    names = [str(n) for n in node_names]
    if len(names) != k:
        raise InputError(f"node_names has {len(names)} names but the data has {k} variables")
    if len(set(names)) != k:
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"node_names must be unique; repeated: {', '.join(dup)}")
    return names


def validate_data(data: np.ndarray, node_names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Check discovery data and return it as float64 with its node names.

    Shapes: ``data: [N, K]``.

    Raises:
        InputError: not 2-D numeric, NaN/inf, a constant column, fewer than K + 3 rows, wrong names,
            or linearly dependent columns.
    """
    try:
        arr = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"discovery data must be numeric ({exc})") from exc
    if arr.ndim != 2:
        raise InputError(f"discovery data must be a 2-D array [frames, variables], got shape {arr.shape}")
    n, k = arr.shape
    names = _check_names(node_names, k)
    if k < 2:
        raise InputError(f"discovery needs at least 2 variables, got {k}")
    if not np.isfinite(arr).all():
        row, col = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise InputError(f"discovery data has NaN/inf in column {names[col]!r} (first at row {row}); "
                         "drop or mask those frames first")
    if n < k + 3:
        raise InputError(f"discovery needs at least {k + 3} frames for {k} variables (Fisher-z), got {n}")
    head = arr[:1000]
    for col in np.flatnonzero((head == head[0]).all(axis=0)).tolist():  # constant so far: check fully
        if (arr[:, col] == arr[0, col]).all():
            raise InputError(f"column {names[col]!r} is constant; drop it before discovery")
    return arr, names


def _check_corr(corr: np.ndarray, n: int, names: list[str], what: str = "correlation matrix") -> None:
    """Raise `InputError` unless ``corr: [K, K]`` is a usable correlation matrix of ``n`` samples."""
    k = corr.shape[-1]
    if corr.shape[-2:] != (k, k) or k < 2:
        raise InputError(f"{what} must be [K, K] with K >= 2, got shape {corr.shape}")
    if not np.isfinite(corr).all():
        raise InputError(f"{what} has NaN/inf entries (a constant column?)")
    if not np.allclose(corr, np.swapaxes(corr, -1, -2), atol=1e-8) or not np.allclose(np.diagonal(corr), 1):
        raise InputError(f"{what} must be symmetric with a unit diagonal")
    if int(n) < k + 3:
        raise InputError(f"{what}: sample size {n} is below K + 3 = {k + 3}")
    values, vectors = np.linalg.eigh(corr)
    if values[0] < 1e-10:
        worst = np.argsort(-np.abs(vectors[:, 0]))[:2]
        raise InputError(f"{what} is singular: variables {names[worst[0]]!r} and {names[worst[1]]!r} (with "
                         "others) are linearly dependent; drop redundant columns")


def _run_fast(test, k: int, names: list[str], method: str, alpha: float, depth: int,
              background: BackgroundKnowledge | None, max_path_length: int, seed: int) -> list[PAG]:
    """Fast engine over every run of ``test``: batched adjacency search, then PC or FCI orientation."""
    knowledge = background.compile(names) if background is not None else None
    banned = None
    if knowledge is not None:
        f = np.asarray(knowledge.forbidden, bool)
        banned = f & f.T
    skeletons = adjacency_search(test, k, alpha, depth, banned)
    pags = []
    for run, skel in enumerate(skeletons):
        if method == "pc":
            marks, sepsets = pc_orient(skel.adjacency, skel.sepsets, knowledge), skel.sepsets
        else:
            marks, sepsets = fci_orient(skel.adjacency, skel.sepsets, test, alpha, names, knowledge,
                                        max_path_length, run)
        record = {(min(i, j), max(i, j)): tuple(sorted(s)) for (i, j), s in sepsets.items()}
        meta = {"engine": "fast", "method": method, "alpha": float(alpha), "depth": int(depth),
                "ci_test": test.name, "seed": int(seed), "num_tests": skel.num_tests}
        pags.append(PAG(names, marks, sepsets=record, meta=meta))
    return pags


def discover_pag(data: np.ndarray, *, method: str = "fci", alpha: float = 0.05, depth: int = -1,
                 engine: str = "fast", ci_test: str = "fisherz", background: BackgroundKnowledge | None = None,
                 node_names: Sequence[str] | None = None, seed: int = 0, device: str | None = None,
                 max_path_length: int = -1) -> PAG:
    """Causal discovery on data: FCI gives a PAG, PC a CPDAG (``-->``/``---`` in the same `PAG` type).

    Both engines return the same graph (skeleton and every endpoint mark) as causal-learn's ``fci``/``pc``
    with Fisher-z, the same ``alpha`` and ``depth`` (PC: ``stable=True, uc_rule=0, uc_priority=2``).

    Args:
        data: ``[N, K]`` samples (rows) of K variables, finite, no constant column, N >= K + 3.
        method: ``"fci"`` or ``"pc"``.
        alpha: significance level of the CI tests.
        depth: largest conditioning-set size in the adjacency search, -1 for no limit.
        engine: ``"fast"`` or ``"causal-learn"``.
        ci_test: registered CI test name (see `causalex.discover.citest`); ``"fisherz"``.
        background: forbidden/required edges and tiers, obeyed by both engines.
        node_names: K names (default ``X1..XK``; FCI orders possible-d-sep sets by name).
        seed: recorded only (both algorithms are deterministic).
        device: fast engine: None/"cpu" for numpy, or a torch device such as ``"cuda"``.
        max_path_length: FCI's longest discriminating path, -1 for no limit.

    Raises:
        InputError: bad data, names, options or background knowledge.
    """
    _check_options(method, alpha, depth, engine, ci_test)
    arr, names = validate_data(data, node_names)
    if background is not None:
        background.check_names(names)
    if engine == "causal-learn":
        _check_corr(np.corrcoef(arr.T), arr.shape[0], names, "correlation matrix of the data")
        from causalex.discover.causallearn_engine import causallearn_discover

        pag = causallearn_discover(arr, method=method, alpha=alpha, depth=int(depth), node_names=names,
                                   background=background, max_path_length=max_path_length)
        pag.meta["seed"] = int(seed)
        return pag
    test = make_ci_test(ci_test, data=arr, device=device, alpha=float(alpha))
    if hasattr(test, "corrs"):
        _check_corr(test.corrs[0], arr.shape[0], names, "correlation matrix of the data")
    return _run_fast(test, arr.shape[1], names, method, float(alpha), int(depth), background, max_path_length,
                     seed)[0]


def discover_pag_from_corr(corr: np.ndarray, n: int, *, method: str = "fci", alpha: float = 0.05, depth: int = -1,
                           background: BackgroundKnowledge | None = None, node_names: Sequence[str] | None = None,
                           device: str | None = None, max_path_length: int = -1) -> PAG:
    """Fast-engine discovery from a correlation matrix ``corr: [K, K]`` of ``n`` samples (Fisher-z).

    Gives the same graph as `discover_pag` on data whose ``np.corrcoef(data.T)`` is ``corr``.
    """
    return discover_many(np.asarray(corr)[None], [n], method=method, alpha=alpha, depth=depth,
                         background=background, node_names=node_names, device=device,
                         max_path_length=max_path_length)[0]


def discover_many(corrs: np.ndarray, ns: Sequence[int] | np.ndarray, *, method: str = "fci", alpha: float = 0.05,
                  depth: int = -1, background: BackgroundKnowledge | None = None,
                  node_names: Sequence[str] | None = None, device: str | None = None,
                  max_path_length: int = -1) -> list[PAG]:
    """R independent fast-engine discoveries (e.g. bootstrap resamples) with their CI tests batched.

    The adjacency searches of all runs advance depth by depth together and each depth's tests of all
    runs are one batch (numpy, or torch on ``device="cuda"``); orientation then runs per run.

    Args:
        corrs: ``[R, K, K]`` correlation matrices.
        ns: ``[R]`` sample sizes.
        method, alpha, depth, background, node_names, device, max_path_length: as in `discover_pag`.

    Returns:
        R graphs, in the order of ``corrs``.
    """
    _check_options(method, alpha, depth)
    corrs = np.asarray(corrs, dtype=np.float64)
    if corrs.ndim != 3:
        raise InputError(f"corrs must be [R, K, K], got shape {corrs.shape}")
    ns = np.asarray(ns, dtype=np.int64).reshape(-1)
    if len(ns) != corrs.shape[0]:
        raise InputError(f"got {corrs.shape[0]} correlation matrices but {len(ns)} sample sizes")
    names = _check_names(node_names, corrs.shape[-1])
    if background is not None:
        background.check_names(names)
    for r in range(corrs.shape[0]):
        _check_corr(corrs[r], int(ns[r]), names, f"correlation matrix {r}")
    if corrs.shape[0] == 0:
        return []
    test = make_ci_test("fisherz", corr=corrs, n=ns, device=device, alpha=float(alpha))
    return _run_fast(test, corrs.shape[-1], names, method, float(alpha), int(depth), background, max_path_length,
                     seed=0)
