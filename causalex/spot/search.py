"""The linear-time parts of decoding: onset/offset search around many apexes, interval means, 1-D NMS.

Each function gives exactly the result of the straightforward implementation it replaces (the exhaustive
``[S, E]`` grid per apex, a Python loop of ``inside[s:e + 1].mean()``, greedy NMS against every kept
interval), bit for bit, at a cost linear in the number of candidates and with memory bounded by
``chunk_cells`` whatever the video's length:

* `search_bounds_many`: the best ``(s, e)`` of a row ``s`` is ``fl(A[s] + max_e B[e])`` (rounding is
  monotone), and the allowed ``e`` of row ``s`` are the fixed-width window ``[s + min_len - 1,
  s + max_len - 1]``, so one sliding maximum per apex (``O(max_len log max_len)``) replaces the
  ``max_len x max_len`` grid; ties go, as ``argmax`` on the grid, to the smallest onset, then the
  smallest offset;
* `nms_1d`: kept intervals are filed in buckets of the longest candidate's length, so a candidate is
  compared only with the kept intervals that can overlap it.

tests/test_spot_decode_equal.py keeps the straightforward decoder and checks the equality on random tracks.
"""

from __future__ import annotations

import math

import numpy as np

CHUNK_CELLS = 1 << 16  # bound on the cells of the temporary arrays of one chunk of apexes (memory stays flat)


def search_bounds(onset: np.ndarray, offset: np.ndarray, inside: np.ndarray, apex: int,
                  min_len: int, max_len: int, inside_weight: float) -> tuple[int, int]:
    """Best onset and offset around one apex (see `search_bounds_many`).

    Returns:
        ``(s, e)`` with ``s <= apex <= e`` and, when the video is long enough, ``min_len <= e - s + 1 <= max_len``.

    Shapes:
        onset, offset, inside: ``[T]``.
    """
    s, e = search_bounds_many(onset, offset, inside, np.array([apex]), min_len, max_len, inside_weight)
    return int(s[0]), int(e[0])


def _window_max(x: np.ndarray, width: int) -> np.ndarray:
    """``out[:, k] = max(x[:, k:k + width])`` (windows cut at the end), by doubling: ``O(log width)`` passes.

    Shapes:
        x: ``[P, W]``; returns ``[P, W]``.
    """
    span, cur = 1, x
    while span * 2 <= width:
        nxt = np.full_like(cur, -np.inf)
        np.maximum(cur[:, :-span], cur[:, span:], out=nxt[:, :-span])
        nxt[:, -span:] = cur[:, -span:]
        cur, span = nxt, span * 2
    if span == width:
        return cur
    out = np.full_like(cur, -np.inf)
    shift = width - span  # two windows of length `span` cover [k, k + width)
    np.maximum(cur[:, :-shift], cur[:, shift:], out=out[:, :-shift])
    out[:, -shift:] = cur[:, -shift:]
    return out


def _grid_bounds(onset, offset, inside, apex: int, min_len: int, max_len: int, inside_weight: float):
    """The exhaustive ``[S, E]`` search of one apex (used where the video is shorter than ``min_len``)."""
    t = onset.shape[0]
    lo, hi = max(0, apex - max_len + 1), min(t - 1, apex + max_len - 1)
    starts, ends = np.arange(lo, apex + 1), np.arange(apex, hi + 1)  # [S], [E]
    csum = np.concatenate([[0.0], np.cumsum(inside[lo:hi + 1].astype(np.float64) - 0.5)])
    scale = inside_weight / max(1.0, max_len / 2.0)
    start_term = onset[starts] - scale * csum[starts - lo]
    end_term = offset[ends] + scale * csum[ends - lo + 1]
    length = ends[None, :] - starts[:, None] + 1  # [S, E]
    allowed = (length >= min_len) & (length <= max_len)
    if not allowed.any():
        allowed = length <= max_len
    objective = np.where(allowed, start_term[:, None] + end_term[None, :], -np.inf)
    i, j = np.unravel_index(int(np.argmax(objective)), objective.shape)
    return int(starts[i]), int(ends[j])


def search_bounds_many(onset: np.ndarray, offset: np.ndarray, inside: np.ndarray, apexes: np.ndarray,
                       min_len: int, max_len: int, inside_weight: float,
                       chunk_cells: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Best onset ``s`` and offset ``e`` around each apex.

    Maximises ``onset[s] + offset[e] + w * sum_{t=s..e}(inside[t] - 0.5)`` with ``w = inside_weight /
    max(1, max_len / 2)`` over ``s <= apex <= e`` within ``max_len - 1`` frames of the apex and
    ``min_len <= e - s + 1 <= max_len`` (only ``<= max_len`` where the video is shorter than ``min_len``).
    The sum runs from the window's first frame, ``max(0, apex - max_len + 1)``, as the grid search did.

    Args:
        onset, offset, inside: per-frame probabilities of one type.
        apexes: frames of the apex candidates.
        min_len, max_len: allowed interval lengths in frames (inclusive).
        inside_weight: weight of the inside term.
        chunk_cells: bound on the temporary array cells of one chunk of apexes (default `CHUNK_CELLS`).

    Returns:
        ``(starts, ends)``, int64.

    Shapes:
        onset, offset, inside: ``[T]``; apexes: ``[N]``; returns two ``[N]``.
    """
    t = int(onset.shape[0])
    apexes = np.asarray(apexes, np.int64).reshape(-1)
    starts, ends = np.empty(apexes.size, np.int64), np.empty(apexes.size, np.int64)
    if apexes.size == 0:
        return starts, ends
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1 frame, got {max_len}")
    m, min_len = int(max_len), max(1, int(min_len))  # (every interval is at least 1 frame long)
    width = 2 * m - 1  # frames of one apex's window, from its first frame lo
    scale = inside_weight / max(1.0, max_len / 2.0)
    fast = bool(min_len <= m and np.isfinite(onset).all() and np.isfinite(offset).all()
                and np.isfinite(inside).all())
    if not fast:  # a non-finite score, or no allowed length at all: the grid search of every apex
        for n, a in enumerate(apexes.tolist()):
            starts[n], ends[n] = _grid_bounds(onset, offset, inside, a, min_len, m, inside_weight)
        return starts, ends
    band = m - min_len + 1  # allowed offsets of one onset: a window of this many frames
    shifted = np.concatenate([inside.astype(np.float64) - 0.5, np.zeros(width)])  # [T + W]
    k_idx = np.arange(width)
    chunk = max(1, (chunk_cells or CHUNK_CELLS) // (4 * width))
    for c0 in range(0, apexes.size, chunk):
        apex = apexes[c0:c0 + chunk]  # [P]
        lo = np.maximum(0, apex - m + 1)
        hi = np.minimum(t - 1, apex + m - 1)
        frames = lo[:, None] + k_idx[None, :]  # [P, W] frame lo + k
        csum = np.zeros((apex.size, width + 1))
        np.cumsum(shifted[frames], axis=1, out=csum[:, 1:])  # [P, W + 1], csum[:, k] = sum of frames lo..lo+k-1
        clipped = np.minimum(frames, t - 1)
        a_term = onset[clipped[:, :m]] - scale * csum[:, :m]  # [P, M] onset at lo + i
        b_term = offset[clipped] + scale * csum[:, 1:]  # [P, W] offset at lo + k
        b_term[(frames < apex[:, None]) | (frames > hi[:, None])] = -np.inf
        first = min_len - 1  # row i's offsets: k in [i + first, i + first + band)
        wmax = _window_max(b_term, band)  # [P, W]
        rows = a_term + wmax[:, first:first + m]  # [P, M] best objective of each onset (fl(a + max b) = max fl(a + b))
        rows[(lo[:, None] + np.arange(m)[None, :]) > apex[:, None]] = -np.inf
        best_i = np.argmax(rows, axis=1)  # first onset reaching the maximum
        row_max = rows[np.arange(apex.size), best_i]
        cand = np.clip(best_i[:, None] + first + np.arange(band)[None, :], 0, width - 1)  # [P, band]
        vals = a_term[np.arange(apex.size), best_i][:, None] + b_term[np.arange(apex.size)[:, None], cand]
        vals[(best_i[:, None] + first + np.arange(band)[None, :]) >= width] = -np.inf
        best_k = cand[np.arange(apex.size), np.argmax(vals, axis=1)]
        s_out, e_out = lo + best_i, lo + best_k
        slow = np.flatnonzero(~np.isfinite(row_max) | (hi - lo + 1 < min_len))
        for n in slow.tolist():  # no allowed length (the video is shorter than min_len): the grid search
            s_out[n], e_out[n] = _grid_bounds(onset, offset, inside, int(apex[n]), min_len, m, inside_weight)
        starts[c0:c0 + apex.size], ends[c0:c0 + apex.size] = s_out, e_out
    return starts, ends


def interval_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                   chunk_cells: int | None = None) -> np.ndarray:
    """``values[s:e + 1].mean(0)`` of every interval, in chunks of one length (the same sums as one at a time).

    Shapes:
        values: ``[T]`` or ``[T, C]``; starts, ends: ``[N]``; returns ``[N]`` or ``[N, C]`` of ``values``'
        float dtype.
    """
    starts, ends = np.asarray(starts, np.int64).reshape(-1), np.asarray(ends, np.int64).reshape(-1)
    out = np.empty((starts.size, *values.shape[1:]), values.dtype if values.dtype.kind == "f" else np.float64)
    lengths = ends - starts + 1
    per_frame = int(np.prod(values.shape[1:], dtype=np.int64))
    for length in np.unique(lengths).tolist():
        sel = np.flatnonzero(lengths == length)
        step = max(1, (chunk_cells or CHUNK_CELLS) // (length * per_frame))
        for c0 in range(0, sel.size, step):
            part = sel[c0:c0 + step]
            out[part] = values[starts[part, None] + np.arange(length)[None, :]].mean(axis=1)
    return out


def nms_1d(starts: np.ndarray, ends: np.ndarray, scores: np.ndarray, iou_threshold: float,
           apexes: np.ndarray | None = None, apex_gap: int = -1) -> np.ndarray:
    """Greedy non-maximum suppression of inclusive frame intervals (best score first, ties by index).

    A candidate is dropped when its IoU with an interval kept before it exceeds ``iou_threshold`` or, with
    ``apexes`` and ``apex_gap >= 0``, when their apexes are at most ``apex_gap`` frames apart (BoostingVRME's
    suppression). Kept intervals are filed by ``start // longest``, so each candidate meets only those that
    can overlap it (or have an apex close to its own).

    Returns:
        Indices kept, best score first.

    Raises:
        ValueError: an interval that ends before it starts, or arrays of different lengths.

    Shapes:
        starts, ends, scores, apexes: ``[N]``; returns ``[N_kept]``.
    """
    starts, ends = np.asarray(starts, np.int64).reshape(-1), np.asarray(ends, np.int64).reshape(-1)
    scores = np.asarray(scores).reshape(-1)
    if not starts.size == ends.size == scores.size:
        raise ValueError(f"nms_1d needs arrays of one length, got {starts.size}, {ends.size}, {scores.size}")
    if starts.size == 0:
        return np.zeros(0, np.int64)
    if (ends < starts).any():
        raise ValueError("nms_1d: an interval ends before it starts")
    longest = int((ends - starts).max()) + 1
    order = np.argsort(-scores, kind="stable")
    s_list, e_list = starts.tolist(), ends.tolist()
    by_apex = apexes is not None and apex_gap >= 0
    a_list = np.asarray(apexes, np.int64).reshape(-1).tolist() if by_apex else []
    buckets: dict[int, list[int]] = {}
    keep: list[int] = []
    for idx in order.tolist():
        s, e = s_list[idx], e_list[idx]
        lo, hi = s, e  # kept starts in [lo - longest + 1, hi] can overlap (or, by apex, be close to) this one
        if by_apex:
            lo, hi = min(s, a_list[idx] - apex_gap), max(e, a_list[idx] + apex_gap)
        ok = True
        for b in range((lo - longest + 1) // longest, hi // longest + 1):
            for k in buckets.get(b, ()):
                inter = min(e, e_list[k]) - max(s, s_list[k]) + 1
                if inter > 0 and inter / ((e - s + 1) + (e_list[k] - s_list[k] + 1) - inter) > iou_threshold:
                    ok = False
                    break
                if by_apex and abs(a_list[idx] - a_list[k]) <= apex_gap:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            keep.append(idx)
            buckets.setdefault(s // longest, []).append(idx)
    return np.asarray(keep, dtype=np.int64)


def interval_scores(apex_values: np.ndarray, inside_means: np.ndarray) -> np.ndarray:
    """``sqrt(max(apex, 0) * max(mean inside, 0))`` per interval, as Python floats would give it.

    Shapes:
        apex_values, inside_means: ``[N]``; returns ``[N]`` float64.
    """
    return np.array([math.sqrt(max(a, 0.0) * max(m, 0.0)) for a, m in
                     zip(np.asarray(apex_values, np.float64).tolist(), np.asarray(inside_means, np.float64).tolist())],
                    dtype=np.float64)
