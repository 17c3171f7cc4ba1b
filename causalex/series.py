"""The AU time series of one video and its lossless Parquet file format.

An `AUSeries` holds per-frame AU intensities ``values: [T, K]`` (float32), a validity mask
``mask: [T]`` (False where the face was not tracked: those rows carry no information and are never
treated as a neutral face), the frame rate, the AU names (``AU01`` ... ``AU45``), the video and
subject ids, and where the numbers came from (``source``) and on which scale (``scale``).

Node kinds: the K columns are either action units (names ``AU01`` ...; kind ``au``) or facial regions
(lower-case names such as ``brow_l_18``; kind ``roi:<layout>``, written by ``causalex extract --features
roi``, see `causalex.extract.roi`). Everything downstream (discovery, graphs, training, spotting, the
bias study) treats the columns as graph nodes either way; `node_kind_of` tells the kind from the names
alone, so a checkpoint's node list says which kind its model was trained on, and `node_kind_problem`
refuses series of the other kind.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from causalex.errors import InputError, input_error
from causalex.fileio import atomic_write

AU_NAME_RE = re.compile(r"^AU\d{2}$")
REGION_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")  # region nodes (brow_l_18, mouth_x, ...)
_RESERVED_COLUMNS = ("frame", "valid")
UNKNOWN_SCALE = "unknown"
SCALE_MEANINGS = {  # what one number of a series means, per scale name (keep the README's formats in step)
    "intensity_0_5": "OpenFace AU intensity, 0..5",
    "probability_0_1": "py-feat AU probability, 0..1",
    "percent_iod": "flow-backend facial motion in percent of the inter-ocular distance, signed",
    "roi_flow_percent_iod": "optical flow in facial regions, head motion removed, percent of the inter-ocular "
                            "distance",
}
ROI_SCALE = "roi_flow_percent_iod"
SERIES_FORMAT_VERSION = 1
SERIES_SUFFIX = ".parquet"
_META_KEY = b"causalex.series"


@dataclass
class AUSeries:
    """Per-frame AU intensities of one video.

    Attributes:
        values: ``[T, K]`` float32 AU intensities (rows where ``mask`` is False are undefined).
        mask: ``[T]`` bool, True where the frame has a valid face measurement.
        fps: frame rate of the rows, frames per second.
        au_names: K node names, unique: AU names ``AU01`` ... ``AU45``, or region names (see `node_kind_of`).
        video: video id (unique within a corpus; labels refer to it).
        subject: subject id (drives leave-one-subject-out); empty if unknown.
        source: who produced the numbers: ``openface``, ``pyfeat``, ``flow``, ``simulated``, ...
        scale: what a number means, e.g. ``intensity_0_5`` (OpenFace), ``probability_0_1`` (py-feat).
        meta: free JSON-serialisable metadata (face id kept, original fps, extractor version, ...).
    """

    values: np.ndarray
    mask: np.ndarray
    fps: float
    au_names: list[str]
    video: str
    subject: str = ""
    source: str = "unknown"
    scale: str = "unknown"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.ascontiguousarray(self.values, dtype=np.float32)
        self.mask = np.ascontiguousarray(self.mask, dtype=bool)
        self.au_names = [str(n) for n in self.au_names]
        self.fps = float(self.fps)
        if self.values.ndim != 2:
            raise ValueError(f"values must be [T, K], got shape {self.values.shape}")
        if self.mask.shape != (self.values.shape[0],):
            raise ValueError(f"mask must be [T]={self.values.shape[0]}, got {self.mask.shape}")
        if len(self.au_names) != self.values.shape[1]:
            raise ValueError(f"{len(self.au_names)} AU names for {self.values.shape[1]} columns")
        node_kind_of(self.au_names)  # raises ValueError on names that are neither all AUs nor all regions
        if len(set(self.au_names)) != len(self.au_names):
            raise ValueError(f"duplicate AU names in {self.au_names}")
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.values.shape[0])

    @property
    def n_aus(self) -> int:
        """Number of AUs K."""
        return int(self.values.shape[1])

    @property
    def node_kind(self) -> str:
        """``au``, or ``roi:<layout>`` as the extractor recorded it (``roi`` when it did not)."""
        kind = node_kind_of(self.au_names)
        recorded = str(self.meta.get("node_kind", ""))
        return recorded if kind == "roi" and recorded.startswith("roi") else kind

    @property
    def duration_s(self) -> float:
        """Length of the video in seconds."""
        return self.n_frames / self.fps

    def select(self, au_names: list[str]) -> "AUSeries":
        """Return a copy with the columns ``au_names`` in that order.

        Raises:
            InputError: if an AU is missing from this series.
        """
        missing = [n for n in au_names if n not in self.au_names]
        if missing:
            raise input_error(self.video, f"AU series lacks {', '.join(missing)} (has {', '.join(self.au_names)})")
        idx = [self.au_names.index(n) for n in au_names]
        return replace(self, values=self.values[:, idx], au_names=list(au_names), meta=dict(self.meta))

    @staticmethod
    def common_scale(series: list["AUSeries"]) -> str:
        """The scale of a set of series (what a model trained on them expects): their one known scale, several
        joined by ``+`` (sorted), or ``unknown`` when none records one."""
        known = sorted({s.scale for s in series if s.scale and s.scale != UNKNOWN_SCALE})
        return "+".join(known) if known else UNKNOWN_SCALE

    def valid_values(self) -> np.ndarray:
        """Rows of valid frames only. Shapes: ``[T_valid, K]``."""
        return self.values[self.mask]

    def to_frame(self):
        """A pandas DataFrame with columns ``frame``, ``valid`` and one per AU."""
        import pandas as pd

        df = pd.DataFrame(self.values, columns=self.au_names)
        df.insert(0, "valid", self.mask)
        df.insert(0, "frame", np.arange(self.n_frames, dtype=np.int64))
        return df

    def header(self) -> dict[str, Any]:
        """Metadata of the series (everything except the arrays), JSON-serialisable."""
        return {
            "format_version": SERIES_FORMAT_VERSION,
            "fps": self.fps,
            "au_names": self.au_names,
            "video": self.video,
            "subject": self.subject,
            "source": self.source,
            "scale": self.scale,
            "meta": self.meta,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the series losslessly to a Parquet file (atomic); returns the path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {"frame": pa.array(np.arange(self.n_frames, dtype=np.int32)), "valid": pa.array(self.mask)}
        for k, name in enumerate(self.au_names):
            columns[name] = pa.array(self.values[:, k])
        table = pa.table(columns)
        table = table.replace_schema_metadata({_META_KEY: json.dumps(self.header()).encode()})
        path = Path(path)
        with atomic_write(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "AUSeries":
        """Read a series written by `save`.

        Raises:
            InputError: if the file is missing or is not a causalex series file.
        """
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.is_file():
            raise input_error(path, "AU series file does not exist")
        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise input_error(path, f"not a readable Parquet file ({type(exc).__name__})") from exc
        raw = (table.schema.metadata or {}).get(_META_KEY)
        if raw is None:
            raise input_error(path, "Parquet file has no causalex series metadata")
        try:
            head = json.loads(raw)
            if head.get("format_version", 0) > SERIES_FORMAT_VERSION:
                raise input_error(path, f"series format version {head['format_version']} is newer than this causalex")
            names = head["au_names"]
            missing = [n for n in [*names, "valid"] if n not in table.column_names]
            if missing:
                raise input_error(path, f"series metadata names column(s) missing from the file: {', '.join(missing)}")
            values = np.stack([table.column(n).to_numpy() for n in names], axis=1) if names else np.zeros(
                (table.num_rows, 0), np.float32)
            mask = table.column("valid").to_numpy(zero_copy_only=False).astype(bool)
            return cls(values=values, mask=mask, fps=head["fps"], au_names=names, video=head["video"],
                       subject=head.get("subject", ""), source=head.get("source", "unknown"),
                       scale=head.get("scale", "unknown"), meta=head.get("meta", {}))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise input_error(path, f"corrupt causalex series metadata ({type(exc).__name__}: {exc})") from exc
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise input_error(path, f"invalid AU series ({exc})") from exc


def node_kind_of(names: list[str]) -> str:
    """``au`` when every name is an AU name (``AU01``), ``roi`` when every name is a region name
    (lower-case ``[a-z][a-z0-9_]*``, not ``frame`` or ``valid``); ``au`` for no names.

    Raises:
        ValueError: a name that is neither, or AU and region names mixed.
    """
    aus = [n for n in names if AU_NAME_RE.match(n)]
    regions = [n for n in names if REGION_NAME_RE.match(n) and n not in _RESERVED_COLUMNS]
    bad = [n for n in names if n not in set(aus) | set(regions)]
    if bad:
        raise ValueError(f"node names must be AU names like AU01 or region names like brow_l_18, got {bad}")
    if aus and regions:
        raise ValueError(f"AU and region nodes mixed in one series ({aus[0]}, {regions[0]})")
    return "roi" if regions else "au"


def nodes_kind(names: list[str], recorded: str | None = None) -> str:
    """``au``, ``roi:<layout>`` (the layout whose nodes include ``names``, or ``recorded`` when it names one),
    or ``roi`` for region nodes of no known layout."""
    if node_kind_of(names) == "au":
        return "au"
    if recorded and recorded.startswith("roi:"):
        return recorded
    from causalex.extract.roi_layouts import layout_of_nodes  # (light: no cv2 / dlib)

    layout = layout_of_nodes(names)
    return f"roi:{layout}" if layout else "roi"


def describe_nodes(names: list[str], recorded: str | None = None) -> str:
    """``AU features`` or ``region features (roi:<layout>)`` for node names (see `nodes_kind`)."""
    kind = nodes_kind(names, recorded)
    return "AU features" if kind == "au" else f"region features ({kind})"


def node_kind_problem(series_names: list[str], model_names: list[str], series_kind: str | None = None) -> str | None:
    """One line saying why series with nodes ``series_names`` cannot feed a model trained on nodes
    ``model_names`` because they are another kind of feature (AU vs region, or another region layout), or None.

    Args:
        series_names: the series' node names.
        model_names: the model's node names (a checkpoint's AU list).
        series_kind: the series' recorded kind (`AUSeries.node_kind`), for the message.
    """
    have, want = node_kind_of(series_names), node_kind_of(model_names)
    if have == want == "au" or (have == want and set(model_names) <= set(series_names)):
        return None
    have_words, want_words = describe_nodes(series_names, series_kind), describe_nodes(model_names)
    if have == want:
        missing = [n for n in model_names if n not in series_names]
        return (f"{have_words} lack the model's region(s) {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''} "
                f"(it was trained on {want_words}): extract with the model's --roi-layout and --roi-value")
    return (f"{have_words} given to a model trained on {want_words}: extract the videos with --features "
            f"{'au' if want == 'au' else 'roi'}, or use a model trained on {have_words}")


def describe_scale(scale: str) -> str:
    """``scale`` with what its numbers mean, e.g. ``intensity_0_5 (OpenFace AU intensity, 0..5)``."""
    meanings = [SCALE_MEANINGS[part] for part in scale.split("+") if part in SCALE_MEANINGS]
    return f"{scale} ({'; '.join(meanings)})" if meanings else scale


def scale_mismatch(model_scale: str | None, series_scale: str | None) -> bool:
    """Whether series on ``series_scale`` are on none of the scales a model was trained on (``model_scale``,
    as `AUSeries.common_scale` gives it); False when either is unknown (nothing to tell)."""
    if not model_scale or not series_scale or UNKNOWN_SCALE in (model_scale, series_scale):
        return False
    return series_scale not in model_scale.split("+")


def scale_problem(series: AUSeries, model_scale: str | None) -> str | None:
    """One line saying why ``series`` does not fit a model trained on ``model_scale``, or None when it fits
    (or when either scale is unknown)."""
    if not scale_mismatch(model_scale, series.scale):
        return None
    return (f"AU series on scale {describe_scale(series.scale)}, but the model was trained on "
            f"{describe_scale(str(model_scale))}: its scores on these numbers would mean nothing")


def header_scale(path: str | os.PathLike) -> str:
    """The scale of one series file from its header alone (no values read): a Parquet series' recorded scale,
    ``intensity_0_5`` for an OpenFace CSV, ``probability_0_1`` for a py-feat one.

    Raises:
        InputError: unreadable file or unknown kind.
    """
    path = Path(path)
    if path.suffix == SERIES_SUFFIX:
        import pyarrow.parquet as pq

        try:
            return str(json.loads((pq.read_schema(path).metadata or {})[_META_KEY]).get("scale") or UNKNOWN_SCALE)
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise input_error(path, f"not a causalex series file ({type(exc).__name__})") from None
    from causalex.readers import sniff_csv_kind  # (the readers import this module)
    from causalex.readers.openface import OPENFACE_SCALE
    from causalex.readers.pyfeat import PYFEAT_SCALE

    return OPENFACE_SCALE if sniff_csv_kind(path) == "openface" else PYFEAT_SCALE


def files_scale(paths: list[str | os.PathLike]) -> str:
    """`AUSeries.common_scale` of series files, from their headers (see `header_scale`)."""
    known = sorted({scale for p in paths if (scale := header_scale(p)) != UNKNOWN_SCALE})
    return "+".join(known) if known else UNKNOWN_SCALE


def common_au_names(series: list[AUSeries]) -> list[str]:
    """AU names present in every series, in the order of the first one."""
    if not series:
        return []
    shared = set(series[0].au_names)
    for s in series[1:]:
        shared &= set(s.au_names)
    return [n for n in series[0].au_names if n in shared]


def without_aus(au_names: list[str], excluded: list[str] | tuple[str, ...]) -> list[str]:
    """``au_names`` minus ``excluded`` (e.g. the AUs a bias study found a corpus biased on).

    Raises:
        InputError: an excluded AU that is not in ``au_names``, or fewer than two AUs left.
    """
    unknown = [a for a in excluded if a not in au_names]
    if unknown:
        raise InputError(f"cannot exclude {', '.join(unknown)}: not among the AUs ({' '.join(au_names)})")
    kept = [a for a in au_names if a not in set(excluded)]
    if len(kept) < 2:
        raise InputError(f"excluding {', '.join(excluded)} leaves {len(kept)} AU(s); need at least 2")
    return kept
