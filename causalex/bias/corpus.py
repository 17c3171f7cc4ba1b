"""The two corpora of a bias study: header-only peeking, full loading, and their input checks.

Leakage rule: before every model of the study is trained, the test corpus is only *peeked at*
(`CorpusSource.peek`): its file list and the AU names in the file headers, so that both corpora can
agree on one AU set. Its values and its labels are read by `CorpusSource.load` only once training is
over (`causalex.bias.protocol` enforces the order; the tests instrument it).
"""

from __future__ import annotations

import csv
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from causalex.errors import input_error
from causalex.labels import Interval, read_labels_file
from causalex.readers import collect_series_files, load_series_inputs, sniff_csv_kind, with_label_subjects
from causalex.readers.openface import AU_INTENSITY_COLUMN
from causalex.readers.pyfeat import PYFEAT_AU_COLUMN
from causalex.series import SERIES_SUFFIX, AUSeries, describe_nodes, node_kind_of, nodes_kind

log = logging.getLogger(__name__)


def header_au_names(path: str | os.PathLike) -> list[str]:
    """AU names of one series file from its header alone (no values are read).

    Raises:
        InputError: unreadable file or unknown kind (as `causalex.readers.read_series`).
    """
    path = Path(path)
    if path.suffix == SERIES_SUFFIX:
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(path).metadata or {}
            return list(json.loads(meta[b"causalex.series"])["au_names"])
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise input_error(path, f"not a causalex series file ({type(exc).__name__})") from exc
    kind = sniff_csv_kind(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        columns = [c.strip() for c in next(csv.reader(fh))]
    pattern = AU_INTENSITY_COLUMN if kind == "openface" else PYFEAT_AU_COLUMN
    return [f"AU{int(m.group(1)):02d}" for c in columns if (m := pattern.match(c))]


@dataclass
class Corpus:
    """A loaded corpus: AU series (restricted to the study's AUs) and their labels."""

    name: str
    series: list[AUSeries]
    labels: list[Interval]
    labels_path: str = ""

    @property
    def subjects(self) -> list[str]:
        """Sorted subject ids."""
        return sorted({s.subject for s in self.series})

    @property
    def videos(self) -> list[str]:
        """Video ids in load order."""
        return [s.video for s in self.series]

    def describe(self) -> dict:
        """Counts for the report."""
        return {"name": self.name, "videos": len(self.series), "subjects": len(self.subjects),
                "frames": sum(s.n_frames for s in self.series), "labels": self.labels_path,
                "macro": sum(iv.type == "macro" for iv in self.labels),
                "micro": sum(iv.type == "micro" for iv in self.labels)}


@dataclass
class CorpusSource:
    """Where a corpus lives (series files/folder and a labels CSV); reads nothing until asked.

    Attributes:
        name: label used in reports (e.g. the folder name).
        series_path: folder (or file) of AU series.
        labels_path: generic labels CSV.
        fps: frame rate for CSVs that do not carry one.
    """

    name: str
    series_path: str
    labels_path: str
    fps: float | None = None
    _files: list[Path] = field(default_factory=list, repr=False)

    def peek(self) -> list[str]:
        """AU names shared by every series file, read from the headers only (the leakage-safe look).

        Raises:
            InputError: missing path, folder with no series file, or a file with no AU column.
        """
        self._files = collect_series_files([self.series_path])
        shared: list[str] | None = None
        for f in self._files:
            names = header_au_names(f)
            if not names:
                raise input_error(f, "AU series file has no AU column")
            shared = names if shared is None else [n for n in shared if n in set(names)]
        return shared or []

    @property
    def series_files(self) -> list[Path]:
        """The corpus's series files (those `peek` listed; listed now if it has not run)."""
        if not self._files:
            self._files = collect_series_files([self.series_path])
        return self._files

    def load_series(self, au_names: list[str]) -> list[AUSeries]:
        """Read the AU series only (restricted to ``au_names``): the labels stay unread.

        Used for the test corpus before training, as an unlabelled context of the causal variant's
        discovery (`causalex.discover.selection`).
        """
        return [s.select(au_names) for s in load_series_inputs([self.series_path], fps=self.fps)]

    def load(self, au_names: list[str]) -> Corpus:
        """Read the series and the labels and check that they belong together.

        Series without a subject take it from their labels (a video with neither is its own
        subject, with a warning).

        Args:
            au_names: AUs of the study; every series is restricted to them, in this order.

        Raises:
            InputError: unreadable input; labels naming a video that has no series, or ending after
                its last frame; a corpus with no expression at all.
        """
        series = load_series_inputs([self.series_path], fps=self.fps)
        doc = read_labels_file(self.labels_path)
        labels = doc.intervals
        check_labels_match(series, labels, self.labels_path, doc.rows)
        out = []
        for s in with_label_subjects(series, doc.videos):  # the labels' subject of every row, empty rows too
            if not s.subject:
                log.warning("%s: video %s has no subject and no label; it is its own subject", self.name, s.video)
            out.append(replace(s.select(au_names), subject=s.subject or s.video))
        log.info("%s: %d videos, %d subjects, %d expressions", self.name, len(out), len({s.subject for s in out}),
                 len(labels))
        return Corpus(name=self.name, series=out, labels=labels, labels_path=str(self.labels_path))


def check_labels_match(series: list[AUSeries], labels: list[Interval], labels_path: str | os.PathLike,
                       rows: list[int] | None = None) -> None:
    """Raise `InputError` (one line, naming the labels file and row) when labels and series disagree.

    ``rows`` are the CSV data rows of ``labels`` (`causalex.labels.LabelsFile.rows`); else positions.

    Raises:
        InputError: no expression at all; a label whose video has no series; a label past the last
            frame of its video; a label whose subject differs from its series' subject.
    """
    if not labels:
        raise input_error(labels_path, "labels file holds no expression: nothing to score")
    by_video = {s.video: s for s in series}
    for i, iv in enumerate(labels):
        row = rows[i] if rows is not None else i + 1
        s = by_video.get(iv.video)
        if s is None:
            known = ", ".join(sorted(by_video)[:5]) + (" ..." if len(by_video) > 5 else "")
            raise input_error(labels_path, f"video {iv.video!r} has no AU series (series videos: {known})", row)
        if iv.offset >= s.n_frames:
            raise input_error(labels_path, f"offset {iv.offset} ({iv.type} at onset {iv.onset}) is past the last "
                                           f"frame {s.n_frames - 1} of video {iv.video!r}", row)
        if s.subject and iv.subject and iv.subject != s.subject:
            raise input_error(labels_path, f"subject {iv.subject!r} differs from the series' subject {s.subject!r} "
                                           f"of video {iv.video!r}", row)


def check_feature_kinds(train_aus: list[str], test_aus: list[str], train_name: str, test_name: str) -> str:
    """The node kind both corpora share (``au`` or ``roi``, `causalex.series.node_kind_of`).

    Raises:
        InputError: one corpus holds AU features and the other region features (or another region layout).
    """
    kind = node_kind_of(train_aus)
    if nodes_kind(test_aus) != nodes_kind(train_aus):
        raise input_error(test_name, f"holds {describe_nodes(test_aus)} but {train_name} holds "
                                     f"{describe_nodes(train_aus)}: a model trained on one reads nothing in the "
                                     "other; extract both corpora with the same --features (and --roi-layout)")
    return kind


def agree_au_names(train_aus: list[str], test_aus: list[str], train_name: str, test_name: str
                   ) -> tuple[list[str], str]:
    """The AU set of a study: the intersection of both corpora (train order), and a note saying so.

    Returns:
        (AU names, a one-line note: empty when both corpora have the same AUs).

    Raises:
        InputError: AU features in one corpus and region features in the other; fewer than two AUs in common.
    """
    check_feature_kinds(train_aus, test_aus, train_name, test_name)
    shared = [a for a in train_aus if a in set(test_aus)]
    if len(shared) < 2:
        raise input_error(test_name, f"shares {len(shared)} AU(s) with {train_name} "
                                     f"({' '.join(train_aus)} vs {' '.join(test_aus)}): need at least 2")
    if len(shared) == len(train_aus) == len(test_aus):
        return shared, ""
    only_train = [a for a in train_aus if a not in set(shared)]
    only_test = [a for a in test_aus if a not in set(shared)]
    note = (f"the corpora have different AU sets; using the {len(shared)} AUs in both "
            f"(dropped from {train_name}: {' '.join(only_train) or 'none'}; "
            f"from {test_name}: {' '.join(only_test) or 'none'})")
    log.warning(note)
    return shared, note
