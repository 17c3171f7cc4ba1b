"""Which frames causal discovery sees: valid frames, expression windows, stride, grouping, features.

Discovery treats frames as samples of the K AU variables. This module turns AU series (and
optional labels) into a sample matrix ``data: [N, K]`` plus, for every row, the bootstrap unit it
belongs to (its subject, video or frame), and splits a corpus into groups (one graph per dataset,
per subject or per expression type).

Rules, in the order they apply to each series:

1. Only valid frames (``mask``) are used; valid frames holding NaN/inf are dropped with a warning.
2. ``inside_expressions``: keep frames inside labelled intervals, widened by ``margin_s`` seconds
   on each side (``expression_type`` restricts to ``macro`` or ``micro`` intervals).
3. ``stride``: keep frames whose index is a multiple of ``stride``. Neighbouring frames are strongly
   autocorrelated; the Fisher-z test assumes independent samples, so without a stride it is over
   confident. A stride near the autocorrelation time (a few frames at 30 fps) weakens this.
   ``stride = 0`` (the default) is *auto*: one frame every ``AUTO_STRIDE_S`` seconds at each series'
   own frame rate (3 frames at 30 fps, 20 at 200 fps), thinned further by a common factor so that at
   most ``max_samples`` rows remain. Large corpora otherwise give every CI test so much power that
   the skeleton becomes dense, and FCI's possible-d-sep phase grows exponentially with it (a
   CAS(ME)^2-sized corpus at every 3rd frame ran for over 10 minutes; at ~20,000 rows, under a second).
4. ``features`` (``L`` = ``lag_s`` in frames, at least 1; the frame ``t - L`` must be valid too):

   * ``level``: AU intensities ``x[t]``, one variable per AU.
   * ``diff``: changes ``x[t] - x[t - L]``. Differencing removes each video's slowly varying
     baseline (a per-subject offset or a slow head-pose leak shared by several AUs is a latent common
     cause that pooling turns into spurious edges).
   * ``lagged``: two variables per AU, ``x[t - L]`` (tier 0) and ``x[t]`` (tier 1), so the engine
     sees time order; `causalex.discover.lagged` folds the result back onto one node per AU. AU
     mechanisms act with a delay (a cause leads its effect by ~0.1 s): on ``level`` data conditioning
     on a mediator's *present* value does not block a lagged chain, and every pair looks confounded;
     the lagged copy lets the past of a cause explain the present of its effect and orients the edge
     by time.

   The nodes of the saved graph are the AUs in every case.
5. ``center``: ``video`` subtracts each video's mean of the selected rows (removes between-video
   baseline differences, the same confounder as above, without differencing); ``none`` keeps levels.

Bad input is reported, never left to a singular matrix: AU-name mismatches between series and fewer
usable frames than needed raise `InputError`; constant (or non-varying in the selected frames) AU
columns and exact duplicates of another column are dropped from the test with a warning and stay in
the graph as isolated nodes (`FrameSample.dropped_aus` says why).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np

from causalex.errors import InputError, input_error
from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.series import AUSeries

log = logging.getLogger(__name__)

PER_CHOICES = ("dataset", "subject", "type")
FEATURE_CHOICES = ("lagged", "level", "diff")
CENTER_CHOICES = ("none", "video")
RESAMPLE_CHOICES = ("subject", "video", "frame")
AUTO_STRIDE_S = 0.1  # auto stride: seconds between kept frames before thinning to max_samples
MIN_STD = 1e-6  # a column whose std over the selected rows is below this is "constant"
DUPLICATE_R = 1.0 - 1e-9  # |r| above this: the column is an exact copy of another


@dataclass
class SamplingOptions:
    """How frames are chosen and turned into samples (defaults: a frame every 0.1 s, at most 20,000, lagged)."""

    inside_expressions: bool = False  # keep only frames inside labelled intervals (needs labels)
    margin_s: float = 0.0  # seconds added before each onset and after each offset
    stride: int = 0  # keep frames whose index is a multiple of stride; 0 = auto (see rule 3 of the module doc)
    max_samples: int = 20_000  # auto stride only: thin evenly until at most this many rows remain
    features: str = "lagged"  # "lagged" (x[t - L] and x[t]), "level" (x[t]) or "diff" (x[t] - x[t - L])
    lag_s: float = 0.1  # the lag L of "diff" and "lagged", in seconds (at least one frame)
    center: str = "none"  # "none" or "video" (subtract each video's mean)
    expression_type: str | None = None  # "macro"/"micro": only intervals of that type

    def validate(self) -> None:
        """Raise `InputError` on a bad option value (names the valid choices)."""
        if self.stride < 0:
            raise InputError(f"stride must be >= 1 (or 0 for auto), got {self.stride}")
        if self.max_samples < 1:
            raise InputError(f"max samples must be >= 1, got {self.max_samples}")
        if not (self.margin_s >= 0 and np.isfinite(self.margin_s)):
            raise InputError(f"margin must be >= 0 seconds, got {self.margin_s}")
        if not (self.lag_s >= 0 and np.isfinite(self.lag_s)):
            raise InputError(f"lag must be >= 0 seconds, got {self.lag_s}")
        if self.features not in FEATURE_CHOICES:
            raise InputError(f"unknown features {self.features!r}; valid: {', '.join(FEATURE_CHOICES)}")
        if self.center not in CENTER_CHOICES:
            raise InputError(f"unknown center {self.center!r}; valid: {', '.join(CENTER_CHOICES)}")
        if self.expression_type is not None and self.expression_type not in EXPRESSION_TYPES:
            raise InputError(f"unknown expression type {self.expression_type!r}; valid: {', '.join(EXPRESSION_TYPES)}")

    def to_dict(self) -> dict:
        """JSON-serialisable copy (for provenance)."""
        return dict(inside_expressions=self.inside_expressions, margin_s=self.margin_s, stride=self.stride,
                    max_samples=self.max_samples, features=self.features, lag_s=self.lag_s, center=self.center,
                    expression_type=self.expression_type)

    def lag_frames(self, fps: float) -> int:
        """The lag ``L`` in frames at ``fps`` (at least 1)."""
        return max(1, int(round(self.lag_s * fps)))


@dataclass
class FrameSample:
    """The samples one graph is discovered from.

    Attributes:
        data: ``[N, K']`` float64 rows (one per kept frame) over the tested AUs ``tested_aus``; with
            ``lagged`` features ``[N, 2K']``: the lagged copies ``x[t - L]`` first, then ``x[t]``.
        au_names: all K AU names (the graph's nodes, tested or not).
        tested_aus: the K' AUs that enter the CI tests (``au_names`` minus ``dropped_aus``).
        subjects, videos: ``[N]`` subject / video of each row.
        dropped_aus: AU -> why it was left out of the tests (it stays an isolated node).
        n_series: number of series that contributed rows.
        lagged: whether ``data`` holds lagged copies.
        strides: the distinct frame strides used (one per frame rate with the auto rule).
        videos_without_subject: videos whose subject neither the series nor the labels give (each
            then stands for its own subject).
    """

    data: np.ndarray
    au_names: list[str]
    tested_aus: list[str]
    subjects: np.ndarray
    videos: np.ndarray
    dropped_aus: dict[str, str] = field(default_factory=dict)
    n_series: int = 0
    lagged: bool = False
    strides: list[int] = field(default_factory=list)  # distinct strides used (the auto rule can vary by fps)
    videos_without_subject: list[str] = field(default_factory=list)

    @property
    def variable_names(self) -> list[str]:
        """Names of the columns of ``data`` (``AU01@lag`` for a lagged copy)."""
        if self.lagged:
            return [lagged_name(a) for a in self.tested_aus] + list(self.tested_aus)
        return list(self.tested_aus)

    @property
    def n_samples(self) -> int:
        """Number of rows N."""
        return int(self.data.shape[0])

    def units(self, resample: str) -> np.ndarray:
        """Bootstrap unit id of every row (``subject``, ``video`` or ``frame``). Shapes: ``[N]`` int64."""
        if resample == "frame":
            return np.arange(self.n_samples, dtype=np.int64)
        if resample not in RESAMPLE_CHOICES:
            raise InputError(f"unknown resample unit {resample!r}; valid: {', '.join(RESAMPLE_CHOICES)}")
        keys = self.subjects if resample == "subject" else self.videos
        return np.unique(keys, return_inverse=True)[1].astype(np.int64)


def lagged_name(au: str) -> str:
    """Name of the lagged copy ``x[t - L]`` of an AU (``AU01`` -> ``AU01@lag``)."""
    return f"{au}@lag"


def align_au_names(series: list[AUSeries], au_names: list[str] | None = None) -> list[AUSeries]:
    """Give every series the same AU columns in the same order.

    Args:
        series: the corpus.
        au_names: AUs to use; None means the AU set of the first series, which every other series
            must have exactly (order may differ).

    Raises:
        InputError: no series, or a series whose AUs differ (names the file and the difference).
    """
    if not series:
        raise InputError("no AU series given")
    names = list(au_names) if au_names is not None else list(series[0].au_names)
    out = []
    for s in series:
        where = s.meta.get("file", s.video)
        missing = [a for a in names if a not in s.au_names]
        extra = [a for a in s.au_names if a not in names] if au_names is None else []
        if au_names is not None and missing:
            raise input_error(where, f"lacks the requested AU(s) {', '.join(missing)} (it has "
                                     f"{', '.join(s.au_names)})")
        if missing or extra:
            parts = ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"has extra {', '.join(extra)}"] if extra else [])
            raise input_error(where, f"AU names differ from {series[0].meta.get('file', series[0].video)}: "
                                     f"{'; '.join(parts)} (pass the AUs to use explicitly to select a common set)")
        out.append(s if s.au_names == names else s.select(names))
    return out


def subject_of(series: AUSeries, labels: list[Interval] | None) -> str:
    """Subject of a series: its own ``subject``, else the one labels give its video, else the video id."""
    if series.subject:
        return series.subject
    for iv in labels or []:
        if iv.video == series.video and iv.subject:
            return iv.subject
    return series.video


def expression_frames(series: AUSeries, labels: list[Interval], margin_s: float = 0.0,
                      expression_type: str | None = None) -> np.ndarray:
    """Frames of ``series`` inside its labelled intervals (widened by ``margin_s`` seconds).

    Shapes: returns ``[T]`` bool.
    """
    keep = np.zeros(series.n_frames, bool)
    pad = int(round(margin_s * series.fps))
    for iv in labels:
        if iv.video != series.video or (expression_type is not None and iv.type != expression_type):
            continue
        keep[max(0, iv.onset - pad): min(series.n_frames, iv.offset + pad + 1)] = True
    return keep


def _candidate_frames(s: AUSeries, labels: list[Interval] | None, opts: SamplingOptions) -> tuple[np.ndarray, int]:
    """Frames of one series that rules 1, 2 and 4 allow (before the stride), and the count of valid
    frames dropped for NaN/inf. Shapes: returns ``[T]`` bool."""
    finite = np.isfinite(s.values).all(axis=1)
    bad = int((s.mask & ~finite).sum())
    usable = s.mask & finite
    selected = usable.copy()
    if opts.inside_expressions or opts.expression_type is not None:
        selected &= expression_frames(s, labels or [], opts.margin_s, opts.expression_type)
    if opts.features != "level":
        lag = opts.lag_frames(s.fps)
        selected[:lag] = False
        selected[lag:] &= usable[:-lag]
    return selected, bad


def series_strides(series: list[AUSeries], candidates: list[np.ndarray], opts: SamplingOptions) -> list[int]:
    """The stride of each series: ``opts.stride``, or the auto rule (rule 3 of the module doc)."""
    if opts.stride > 0:
        return [opts.stride] * len(series)
    base = [max(1, int(round(AUTO_STRIDE_S * s.fps))) for s in series]
    rows = sum(int(c[::b].sum()) for c, b in zip(candidates, base))
    factor = max(1, int(np.ceil(rows / opts.max_samples)))
    return [b * factor for b in base]


def _series_rows(s: AUSeries, selected: np.ndarray, stride: int, opts: SamplingOptions) -> np.ndarray:
    """Rows of one series from its candidate frames (rules 3-5)."""
    values = s.values.astype(np.float64)
    selected = selected & (np.arange(s.n_frames) % stride == 0)
    if opts.features == "level":
        rows = values[selected]
    else:
        lag = opts.lag_frames(s.fps)
        idx = np.nonzero(selected)[0]
        past, now = values[idx - lag], values[idx]
        rows = now - past if opts.features == "diff" else np.hstack([past, now])
    if opts.center == "video" and len(rows):
        rows = rows - rows.mean(axis=0, keepdims=True)
    return rows


def collect_samples(series: list[AUSeries], labels: list[Interval] | None = None,
                    options: SamplingOptions | None = None, au_names: list[str] | None = None) -> FrameSample:
    """Build the discovery sample matrix from a corpus.

    Args:
        series: AU series (all with the same AUs, see `align_au_names`).
        labels: expression intervals (needed by ``inside_expressions`` and ``expression_type``).
        options: sampling rules (default `SamplingOptions()`).
        au_names: AUs to use (default: those of the first series).

    Returns:
        a `FrameSample`; ``data: [N, K']``.

    Raises:
        InputError: bad options, labels missing when needed, AU mismatch, or too few usable rows.
    """
    opts = options or SamplingOptions()
    opts.validate()
    if (opts.inside_expressions or opts.expression_type is not None) and not labels:
        raise InputError("keeping frames inside expressions needs labels (pass a labels CSV)")
    series = align_au_names(series, au_names)
    names = list(series[0].au_names)
    width = 2 * len(names) if opts.features == "lagged" else len(names)
    blocks, subjects, videos, used = [], [], [], 0
    subjectless: list[str] = []
    found = [_candidate_frames(s, labels, opts) for s in series]
    n_bad = sum(bad for _, bad in found)
    strides = series_strides(series, [c for c, _ in found], opts)
    for s, (candidates, _), stride in zip(series, found, strides):
        rows = _series_rows(s, candidates, stride, opts)
        if len(rows) == 0:
            continue
        used += 1
        blocks.append(rows)
        subject = subject_of(s, labels)
        if subject == s.video and not s.subject:
            subjectless.append(s.video)
        subjects.append(np.full(len(rows), subject, dtype=object))
        videos.append(np.full(len(rows), s.video, dtype=object))
    if n_bad:
        log.warning("dropped %d valid frame(s) holding NaN or inf AU values", n_bad)
    data = np.concatenate(blocks) if blocks else np.zeros((0, width))
    sample = FrameSample(data=data, au_names=names, tested_aus=list(names),
                         subjects=np.concatenate(subjects) if subjects else np.zeros(0, object),
                         videos=np.concatenate(videos) if videos else np.zeros(0, object), n_series=used,
                         lagged=opts.features == "lagged", strides=sorted(set(strides)),
                         videos_without_subject=subjectless)
    _drop_degenerate_columns(sample)
    needed = sample.data.shape[1] + 3
    if sample.n_samples < needed:
        hint = "add series, lower --stride, widen --margin or drop --inside-expressions"
        if opts.features in ("lagged", "diff"):
            hint += f"; the --lag of {opts.lag_s:g} s must be shorter than the videos and their valid runs"
        raise InputError(f"only {sample.n_samples} usable frame(s) for {sample.data.shape[1]} variables; discovery "
                         f"needs at least {needed} ({hint})")
    if len(sample.tested_aus) < 2:
        raise InputError(f"fewer than 2 AUs vary in the selected frames ({', '.join(sample.tested_aus) or 'none'}); "
                         f"nothing to discover")
    log.info("discovery sample: %d frames from %d series (stride %s), %d AUs tested", sample.n_samples, used,
             ", ".join(str(v) for v in sample.strides), len(sample.tested_aus))
    return sample


def _drop_degenerate_columns(sample: FrameSample) -> None:
    """Drop constant columns and exact duplicates (they make the correlation matrix singular).

    With lagged features the check runs on the present copies and drops both copies of an AU.
    """
    n_aus = len(sample.au_names)
    data = sample.data[:, n_aus:] if sample.lagged else sample.data
    if data.shape[0] < 2:
        return
    std = data.std(axis=0)
    keep: list[int | None] = [c for c in range(n_aus) if std[c] >= MIN_STD]
    for c in range(n_aus):
        if std[c] < MIN_STD:
            sample.dropped_aus[sample.au_names[c]] = "constant in the selected frames"
    if len(keep) >= 2:
        corr = np.corrcoef(data[:, keep], rowvar=False)
        for a in range(len(keep)):
            for b in range(a):
                if keep[b] is not None and abs(corr[a, b]) > DUPLICATE_R:
                    sample.dropped_aus[sample.au_names[keep[a]]] = f"duplicate of {sample.au_names[keep[b]]}"
                    keep[a] = None
                    break
    kept = [c for c in keep if c is not None]
    for au, why in sample.dropped_aus.items():
        log.warning("%s left out of discovery (%s); it stays an isolated node", au, why)
    sample.tested_aus = [sample.au_names[c] for c in kept]
    columns = kept + [c + n_aus for c in kept] if sample.lagged else kept
    sample.data = np.ascontiguousarray(sample.data[:, columns])


def group_series(series: list[AUSeries], labels: list[Interval] | None, per: str
                 ) -> dict[str, tuple[list[AUSeries], str | None]]:
    """Split a corpus into the groups that each get one graph.

    Args:
        series: the corpus.
        labels: intervals (needed for ``per="type"``; give subjects to series that lack one).
        per: ``dataset`` (one group ``all``), ``subject`` (one per subject) or ``type`` (``macro`` and
            ``micro``: frames inside intervals of that type).

    Returns:
        group name -> (its series, the expression type its frames must lie in, or None).

    Raises:
        InputError: unknown ``per``, or ``per="type"`` without labels.
    """
    if per not in PER_CHOICES:
        raise InputError(f"unknown grouping {per!r}; valid: {', '.join(PER_CHOICES)}")
    if per == "dataset":
        return {"all": (list(series), None)}
    if per == "subject":
        out: dict[str, tuple[list[AUSeries], str | None]] = {}
        for s in series:
            out.setdefault(subject_of(s, labels), ([], None))[0].append(s)
        return dict(sorted(out.items()))
    if not labels:
        raise InputError("one graph per expression type needs labels (pass a labels CSV)")
    present = sorted({iv.type for iv in labels})
    return {t: (list(series), t) for t in present}


def safe_group_name(name: str) -> str:
    """A group name usable as a file stem (letters, digits, ``-``, ``_``, ``.``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned or "group"
