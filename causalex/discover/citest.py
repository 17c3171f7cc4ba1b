"""Conditional-independence (CI) tests behind one interface, evaluated in batches.

A CI test answers "is X_i independent of X_j given X_S?" with a p-value. The discovery engines ask for
many tests at once (all tests of one conditioning-set size, across bootstrap runs), so the interface is
batched: ``test.pvalues(x, y, s, run)`` with ``x, y: [B]``, ``s: [B, d]``, ``run: [B]``. A scalar
``test.pvalue(x, y, s)`` goes through a p-value cache keyed by ``(data hash, i, j, S)``.

Fisher-z (``fisherz``) works from correlation matrices only: partial correlations come from batched
Cholesky factors of the ``[d + 2, d + 2]`` sub-matrices (numpy on CPU; torch when a torch device is asked
for). They agree with causal-learn's ``FisherZ`` (which inverts each sub-matrix) to rounding, and any
p-value within ``BORDERLINE`` of ``alpha`` is recomputed with causal-learn's scalar formula, operation for
operation, so that both engines take the same decisions.

To add a test (e.g. kernel CI), subclass `CITest`, implement `_pvalue_one` (and optionally `pvalues`)
and decorate the class with ``@register_ci_test("name")``.
"""

from __future__ import annotations

import hashlib
import math
from itertools import combinations
from typing import Any, Callable

import numpy as np
from scipy.special import ndtr

CI_TESTS: dict[str, type["CITest"]] = {}
_JUST_BELOW_ONE = 1.0 - np.finfo(float).eps  # causal-learn's clip of |r| >= 1
NUMPY_BLOCK = 512  # tests per numpy evaluation block
BORDERLINE = 1e-7  # p-values this close to alpha are recomputed with the reference scalar formula


def register_ci_test(name: str) -> Callable[[type["CITest"]], type["CITest"]]:
    """Class decorator: make a `CITest` subclass available to `make_ci_test` under ``name``."""

    def deco(cls: type["CITest"]) -> type["CITest"]:
        CI_TESTS[name] = cls
        cls.name = name
        return cls

    return deco


def make_ci_test(name: str, **kwargs: Any) -> "CITest":
    """Build the CI test registered as ``name`` (e.g. ``make_ci_test("fisherz", corr=c, n=1000)``).

    Raises:
        ValueError: unknown name (the message lists the valid choices).
    """
    if name not in CI_TESTS:
        raise ValueError(f"unknown CI test {name!r}; valid: {', '.join(sorted(CI_TESTS))}")
    return CI_TESTS[name](**kwargs)


class CITest:
    """Base class of CI tests over one or several data sets ("runs", e.g. bootstrap resamples).

    Subclasses implement `data_hash` and `_pvalue_one(run, i, j, s)`; the default `pvalues` loops over
    the latter. Tests that can be vectorised override `pvalues`. The engines build a registered test
    as ``cls(data=data, device=device, alpha=alpha)`` with ``data: [N, K]``.

    Args:
        data: ``[N, K]`` samples (optional for tests built from sufficient statistics).
        device: torch device hint for tests that can use one.
        alpha: significance level the decisions will use (lets a test refine p-values near it).
    """

    name = "base"
    num_runs = 1

    def __init__(self, data: np.ndarray | None = None, *, device: str | None = None,
                 alpha: float | None = None) -> None:
        self.data = data
        self.device = device
        self.alpha = alpha
        self.cache: dict[tuple, float] = {}

    def data_hash(self, run: int = 0) -> str:
        """Hash identifying the data of ``run`` (part of every cache key)."""
        raise NotImplementedError

    def _pvalue_one(self, run: int, i: int, j: int, s: tuple[int, ...]) -> float:
        raise NotImplementedError

    def pvalue(self, i: int, j: int, s: tuple[int, ...] | list[int] = (), run: int = 0) -> float:
        """p-value of ``X_i _||_ X_j | X_s`` for one test, cached by ``(data hash, min, max, sorted S)``."""
        i, j = (int(i), int(j)) if i < j else (int(j), int(i))
        s = tuple(sorted(int(v) for v in s))
        if i in s or j in s or i == j:
            raise ValueError(f"CI test {i}, {j} | {s}: X and Y must differ and not be in the conditioning set")
        key = (self.data_hash(run), i, j, s)
        p = self.cache.get(key)
        if p is None:
            p = self.cache[key] = float(self._pvalue_one(run, i, j, s))
        return p

    def pvalues(self, x: np.ndarray, y: np.ndarray, s: np.ndarray, run: np.ndarray | None = None) -> np.ndarray:
        """p-values of a batch of tests of one conditioning-set size.

        Shapes: ``x, y, run: [B]`` int, ``s: [B, d]`` int; returns ``[B]`` float64.
        """
        run = np.zeros(len(x), np.int64) if run is None else run
        return np.array([self.pvalue(a, b, tuple(c), r) for a, b, c, r in
                         zip(x.tolist(), y.tolist(), np.asarray(s).tolist(), run.tolist())], dtype=np.float64)

    def independent(self, x: np.ndarray, y: np.ndarray, s: np.ndarray, run: np.ndarray | None,
                    alpha: float) -> np.ndarray:
        """Decisions ``p > alpha`` for a batch (same shapes as `pvalues`); returns ``[B]`` bool."""
        return self.pvalues(x, y, s, run) > alpha


def _fisherz_reference(corr: np.ndarray, n: int, i: int, j: int, s: tuple[int, ...]) -> float:
    """causal-learn's scalar Fisher-z formula, operation for operation (``i < j``, ``s`` sorted)."""
    var = [i, j, *s]
    inv = np.linalg.inv(corr[np.ix_(var, var)])
    r = -inv[0, 1] / math.sqrt(abs(inv[0, 0] * inv[1, 1]))
    if abs(r) >= 1:
        r = (1.0 - np.finfo(float).eps) * np.sign(r)
    z = 0.5 * math.log((1 + r) / (1 - r))
    stat = math.sqrt(n - len(s) - 3) * abs(z)
    return float(2 * (1 - ndtr(abs(stat))))


@register_ci_test("fisherz")
class FisherZ(CITest):
    """Fisher-z test of partial correlation for (approximately) Gaussian data.

    Args:
        corr: correlation matrix ``[K, K]`` or a stack ``[R, K, K]`` (one per run).
        n: sample size, an int or ``[R]`` (one per run).
        data: alternatively the data ``[N, K]``; its correlation matrix is ``np.corrcoef(data.T)``.
        device: torch device for the batched tests (``"cuda"``); None or ``"cpu"`` run numpy.
        alpha: when given, p-values within `BORDERLINE` of it are recomputed with the reference formula.
        backend: ``"auto"`` (torch only on a non-CPU device), ``"numpy"`` or ``"torch"``.
    """

    def __init__(self, corr: np.ndarray | None = None, n: int | np.ndarray | None = None, *,
                 data: np.ndarray | None = None, device: str | None = None, alpha: float | None = None,
                 backend: str = "auto") -> None:
        super().__init__(alpha=alpha)
        if data is not None:
            data = np.asarray(data, dtype=np.float64)
            corr, n = np.corrcoef(data.T), data.shape[0]
        if corr is None or n is None:
            raise ValueError("FisherZ needs corr and n, or data")
        corr = np.asarray(corr, dtype=np.float64)
        self.corrs = corr[None] if corr.ndim == 2 else corr  # [R, K, K]
        self.ns = np.broadcast_to(np.asarray(n, dtype=np.int64), (self.corrs.shape[0],)).copy()  # [R]
        self.num_runs = self.corrs.shape[0]
        if backend not in ("auto", "numpy", "torch"):
            raise ValueError(f"unknown backend {backend!r}; valid: auto, numpy, torch")
        on_cpu = device is None or str(device) == "cpu"
        use_torch = backend == "torch" or (backend == "auto" and not on_cpu)
        self.device = (device or "cpu") if use_torch else None  # None: numpy
        self._torch_corrs = None
        self._hashes: dict[int, str] = {}
        self._buffers: tuple[np.ndarray, np.ndarray] | None = None

    def data_hash(self, run: int = 0) -> str:
        """SHA-1 of the correlation matrix and sample size of ``run``."""
        if run not in self._hashes:
            digest = hashlib.sha1(self.corrs[run].tobytes())
            digest.update(str(int(self.ns[run])).encode())
            self._hashes[run] = digest.hexdigest()
        return self._hashes[run]

    def _pvalue_one(self, run: int, i: int, j: int, s: tuple[int, ...]) -> float:
        return _fisherz_reference(self.corrs[run], int(self.ns[run]), i, j, s)

    def pvalues(self, x: np.ndarray, y: np.ndarray, s: np.ndarray, run: np.ndarray | None = None) -> np.ndarray:
        """Batched p-values (see `CITest.pvalues`); rows of ``s`` may be padded with -1 (mixed sizes).

        Shapes: ``x, y, run: [B]``, ``s: [B, d]``; returns ``[B]``.
        """
        x = np.asarray(x, np.int64)
        count = len(x)
        if count == 0:
            return np.zeros(0)
        run = np.zeros(count, np.int64) if run is None else np.asarray(run, np.int64)
        s = np.asarray(s, np.int64).reshape(count, -1)
        # conditioning set first, the pair last: the last row of the Cholesky factor of this
        # sub-matrix gives the partial correlation of the pair given the set
        idx = np.concatenate([s, x[:, None], np.asarray(y, np.int64)[:, None]], axis=1)  # [B, d + 2]
        valid = idx >= 0 if s.size and s.min() < 0 else None
        size = s.shape[1] if valid is None else valid.sum(axis=1) - 2
        dof = self.ns[run] - size - 3  # [B]
        if self.device is not None:
            p = self._pvalues_torch(run, idx, valid, dof)
        elif count <= NUMPY_BLOCK:
            p = self._pvalues_numpy(run, idx, valid, dof)
        else:  # cache-sized blocks: large temporaries cost more than the extra calls
            p = np.concatenate([self._pvalues_numpy(run[i:i + NUMPY_BLOCK], idx[i:i + NUMPY_BLOCK],
                                                    None if valid is None else valid[i:i + NUMPY_BLOCK],
                                                    dof[i:i + NUMPY_BLOCK])
                                for i in range(0, count, NUMPY_BLOCK)])
        if self.alpha is not None:
            self._fix_borderline(p, run, idx)
        return p

    def _submatrices(self, corrs, run, idx, valid, xp):
        """Gather ``[B, d+2, d+2]`` sub-matrices; padded slots become identity rows/columns."""
        k = corrs.shape[-1]
        safe = idx.clip(min=0)
        rows = safe * k + (run * (k * k))[:, None]  # [B, d+2] (a [B, 1, 1] broadcast is slow in numpy)
        flat = (rows[:, :, None] + safe[:, None, :]).reshape(-1)
        sub = corrs.reshape(-1)[flat].reshape(idx.shape[0], idx.shape[1], idx.shape[1])  # flat gather: fastest
        if valid is not None:
            pair = valid[:, :, None] & valid[:, None, :]
            eye = xp.eye(idx.shape[1], dtype=sub.dtype)
            if xp is np:
                sub = np.where(pair, sub, eye)
            else:
                sub = xp.where(pair, sub, eye.to(sub.device))
        return sub

    def _pvalues_numpy(self, run: np.ndarray, idx: np.ndarray, valid: np.ndarray | None,
                       dof: np.ndarray) -> np.ndarray:
        sub = self._submatrices(self.corrs, run, idx, valid, np)
        try:
            low = np.linalg.cholesky(sub)  # [B, d+2, d+2]
            r = _partial_from_cholesky(low[:, -1, -2], low[:, -1, -1], np)
        except np.linalg.LinAlgError:  # numerically not positive definite: invert as causal-learn does
            try:
                inv = np.linalg.inv(sub)
            except np.linalg.LinAlgError as exc:
                raise ValueError("correlation matrix is singular: the Fisher-z test needs linearly "
                                 "independent variables") from exc
            r = -inv[:, -1, -2] / np.sqrt(np.abs(inv[:, -1, -1] * inv[:, -2, -2]))
        return _pvalue_from_r(r, dof)

    def _pvalues_torch(self, run: np.ndarray, idx: np.ndarray, valid: np.ndarray | None,
                       dof: np.ndarray) -> np.ndarray:
        import torch

        if self._torch_corrs is None:
            self._torch_corrs = torch.as_tensor(self.corrs, dtype=torch.float64, device=self.device)
        dev = self._torch_corrs.device
        t_valid = None if valid is None else torch.as_tensor(valid, device=dev)
        sub = self._submatrices(self._torch_corrs, torch.as_tensor(run, device=dev),
                                torch.as_tensor(idx, device=dev), t_valid, torch)
        low, info = torch.linalg.cholesky_ex(sub)  # [B, d+2, d+2]
        r = _partial_from_cholesky(low[:, -1, -2], low[:, -1, -1], torch)
        if bool((info != 0).any()):
            inv = torch.linalg.inv(sub)
            r = -inv[:, -1, -2] / torch.sqrt(torch.abs(inv[:, -1, -1] * inv[:, -2, -2]))
        return _pvalue_from_r(r.cpu().numpy(), dof)

    def subset_pvalue_levels(self, a: int, b: int, candidates: list[int], run: int = 0):
        """Yield ``(size, p)`` for size 1..n: p-values of ``a _||_ b | S`` for every size-``size`` subset S
        of ``candidates``, subsets in lexicographic order of their positions in ``candidates``.

        Subsets share work: a subset extends its parent (itself without its last element) by one row
        of the Cholesky factor, kept as ``Z_S = L_S^-1 C[S, cols]`` over the candidate and pair columns,
        so a subset costs O(|S| n) instead of a fresh factorisation; levels live in reused buffers.
        Shapes: ``p: [C(n, size)]``.
        """
        corr = self.corrs[run]
        n = len(candidates)
        c = n + 2
        cols = np.asarray(list(candidates) + [a, b], np.int64)
        sub = corr[np.ix_(cols, cols)]  # [c, c]: candidates, then the pair
        bufs = self._level_buffers(n)
        last = np.arange(n)  # last position of each subset of the current level
        z = bufs[1][: n * c].reshape(1, n, c)  # [size, subsets, c]
        z[0] = sub[:n] / np.sqrt(np.diag(sub)[:n])[:, None]
        for size in range(1, n + 1):
            if size > 1:  # children: every parent extended by every later position
                counts = n - 1 - last
                q = int(counts.sum())
                parent = np.repeat(np.arange(len(last)), counts)
                v = np.arange(q) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(last + 1, counts)
                child = bufs[size % 2][: size * q * c].reshape(size, q, c)
                np.take(z, parent, axis=1, out=child[:size - 1])
                lv = child[:size - 1, np.arange(q), v]  # [size - 1, q]: new row of L for v
                d2 = sub[v, v] - np.einsum("tq,tq->q", lv, lv)
                d = np.sqrt(np.where(d2 > 0, d2, np.nan))  # NaN (not a warning) if near-singular
                np.subtract(sub[v], np.einsum("tq,tqc->qc", lv, child[:size - 1]), out=child[size - 1])
                child[size - 1] /= d[:, None]
                z, last = child, v
            ua, ub = z[:, :, n], z[:, :, n + 1]
            cov = sub[n, n + 1] - np.einsum("tq,tq->q", ua, ub)
            var = (sub[n, n] - np.einsum("tq,tq->q", ua, ua)) * (sub[n + 1, n + 1] - np.einsum("tq,tq->q", ub, ub))
            r = np.divide(cov, np.sqrt(np.maximum(var, 0)), out=np.full_like(cov, np.nan), where=var > 0)
            p = _pvalue_from_r(r, int(self.ns[run]) - size - 3)
            redo = ~np.isfinite(p)
            if self.alpha is not None:
                redo |= np.abs(p - self.alpha) < BORDERLINE
            if redo.any():  # near-singular or borderline: causal-learn's formula on those
                combos = list(combinations(range(n), size))
                for q_ in np.flatnonzero(redo).tolist():
                    p[q_] = self.pvalue(a, b, tuple(cols[list(combos[q_])].tolist()), run)
            yield size, p

    def _level_buffers(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Two flat float64 buffers big enough for the widest level of `subset_pvalue_levels`."""
        need = max(math.comb(n, t) * t for t in range(1, n + 1)) * (n + 2)
        if self._buffers is None or self._buffers[0].size < need:
            self._buffers = (np.empty(need), np.empty(need))
        return self._buffers

    def _fix_borderline(self, p: np.ndarray, run: np.ndarray, idx: np.ndarray) -> None:
        near = np.flatnonzero(np.abs(p - self.alpha) < BORDERLINE)
        for b in near.tolist():
            i, j = sorted(idx[b, -2:].tolist())
            s = tuple(sorted(v for v in idx[b, :-2].tolist() if v >= 0))
            p[b] = self.pvalue(i, j, s, int(run[b]))


def _partial_from_cholesky(l10, l11, xp):
    """Partial correlation from the last row ``(..., l10, l11)`` of a Cholesky factor.

    With the pair last, ``L22 L22^T`` is the pair's covariance given the set, so
    ``r = l10 / sqrt(l10^2 + l11^2)``. Shapes: ``[B]`` -> ``[B]``.
    """
    return l10 / xp.sqrt(l10 * l10 + l11 * l11)


def _pvalue_from_r(r: np.ndarray, dof: np.ndarray | float) -> np.ndarray:
    """Two-sided Fisher-z p-values from partial correlations. Shapes: ``r: [B]``, ``dof: [B]`` or scalar."""
    edge = np.abs(r) >= 1  # causal-learn's clip (NaN passes through, as NaN)
    if edge.any():
        r = np.where(edge, _JUST_BELOW_ONE * np.sign(r), r)
    z = 0.5 * np.log((1 + r) / (1 - r))
    stat = np.sqrt(np.asarray(dof, dtype=np.float64)) * np.abs(z)
    return 2 * (1 - ndtr(np.abs(stat)))
