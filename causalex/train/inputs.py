"""Checks of a training run's inputs, done before anything is written."""

from __future__ import annotations

import logging
from collections import Counter

from causalex.errors import input_error
from causalex.labels import EXPRESSION_TYPES, Interval, megc_classes_of
from causalex.series import AUSeries
from causalex.train.dataset import series_origin

log = logging.getLogger(__name__)


def check_inputs(series: list[AUSeries], labels: list[Interval], labels_path: str | None = None,
                 label_videos: dict[str, str] | None = None, label_rows: list[int] | None = None) -> dict[str, str]:
    """Check that labels and series fit together and find each video's subject.

    Args:
        series: the AU series, one per video.
        labels: the labelled intervals, in file order.
        labels_path: the labels file (named in messages).
        label_videos: every video the labels file names with its subject (`causalex.labels.read_labels_file`),
            videos without any expression included.
        label_rows: CSV data row of each label, for messages (default: positions in ``labels``).

    Returns:
        ``{video: subject}`` for every series.

    Raises:
        InputError: no series or labels, labels naming a video that has no series, a video without a
            subject id, or a subject in the labels that contradicts its series.
    """
    where = labels_path or "labels"
    if not series:
        raise input_error(None, "no AU series given")
    if not labels:
        raise input_error(where, "holds no labelled interval")
    known = {s.video: s for s in series}
    rows = label_rows if label_rows is not None else list(range(1, len(labels) + 1))
    missing = [(row, iv.video) for row, iv in zip(rows, labels) if iv.video not in known]
    missing += [(None, v) for v in (label_videos or {}) if v not in known and v not in {m for _, m in missing}]
    if missing:
        row, video = missing[0]
        others = sorted({v for _, v in missing} - {video})
        more = f" (and {len(others)} more unknown video(s): {', '.join(others[:5])})" if others else ""
        raise input_error(where, f"video {video!r} has no AU series among the {len(series)} given{more}", row)
    subjects = {s.video: s.subject for s in series}
    for row, iv in zip(rows, labels):
        if not iv.subject:
            continue
        have = subjects[iv.video]
        if have and have != iv.subject:
            raise input_error(where, f"subject {iv.subject!r} of video {iv.video!r} differs from its AU series' "
                                     f"subject {have!r}", row)
        subjects[iv.video] = iv.subject
    for video, subject in (label_videos or {}).items():
        if subject and not subjects[video]:
            subjects[video] = subject
        elif subject and subjects[video] != subject:
            raise input_error(where, f"video {video!r} is listed with subject {subject!r} and with "
                                     f"{subjects[video]!r}")
    for s in series:
        if not subjects[s.video]:
            raise input_error(series_origin(s), f"video {s.video!r} has no subject id (needed to split by subject); "
                                                f"give it in the labels' subject column (a row 'SUBJECT,{s.video},,,,,' "
                                                "lists a video without expressions)")
    return subjects


def label_counts(labels: list[Interval], subjects: dict[str, str]) -> dict[str, dict[str, int]]:
    """Labelled expressions per subject and type: ``{subject: {"micro": n, "macro": n}}``."""
    out = {s: dict.fromkeys(EXPRESSION_TYPES, 0) for s in set(subjects.values())}
    for iv in labels:
        out[subjects[iv.video]][iv.type] += 1
    return out


def warn_unknown_emotions(labels: list[Interval], classes: tuple[str, ...] | list[str],
                          labels_path: str | None = None) -> Counter:
    """Log one warning for label emotions that are neither a class of the model nor a known dataset word
    (`causalex.labels.megc_classes_of`), e.g. a typo; return their counts.

    Such an expression trains the emotion head as ``others`` when the model has that class (MEGC's
    catch-all), else spotting only.
    """
    lowered = {c.lower() for c in classes}
    unknown = Counter(word for word in (iv.emotion.strip().lower() for iv in labels)
                      if word and word not in lowered
                      and not megc_classes_of(word))
    if unknown:
        fate = "they count as 'others'" if "others" in lowered else "they train spotting only"
        log.warning("%s: %d labelled expression(s) carry emotion words causalex does not know (%s); %s (model "
                    "classes: %s)", labels_path or "labels", sum(unknown.values()),
                    ", ".join(f"{word!r} x{n}" for word, n in unknown.most_common()), fate, ", ".join(classes))
    return unknown
