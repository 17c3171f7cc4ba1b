"""`causalex labels`: convert published annotation files to the generic labels CSV and summarise labels."""

from __future__ import annotations

import enum
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from causalex.errors import InputError
from causalex_cli.common import FPS_RANGE, console, handle_errors, info

labels_app = typer.Typer(help="Convert and inspect expression annotations.", no_args_is_help=True)


class AnnotationFormat(str, enum.Enum):
    """Annotation layouts `labels convert` reads."""

    casme2 = "casme2"
    samm = "samm"
    casme3 = "casme3"
    csv = "csv"


class MissingOffset(str, enum.Enum):
    """How an offset the annotators left empty (CAS(ME)^2 writes 0) is filled."""

    mirror = "mirror"
    apex = "apex"
    error = "error"


class ExpressionType(str, enum.Enum):
    """Expression type for CAS(ME)^3 sheets without a type column."""

    macro = "macro"
    micro = "micro"


@labels_app.command("convert")
@handle_errors
def convert(
    src: Path = typer.Argument(..., help="Annotation workbook (.xlsx) or spotting-code CSV."),
    fmt: AnnotationFormat = typer.Option(..., "--format", "-f", metavar="<format>",
                                         help="casme2: CAS(ME)^2code_final.xlsx; "
                                              "samm: SAMM_LongVideos_V*_Release.xlsx; "
                                              "casme3: cas(me)3_part_A_*_label*.xlsx; csv: AUW-GCN / LGSNet CSV."),
    output: Path = typer.Option(..., "--output", "-o", help="Labels CSV to write."),
    missing_offset: MissingOffset = typer.Option(MissingOffset.mirror, "--missing-offset",
                                                 help="Fill an empty offset with apex + (apex - onset) (mirror), "
                                                      "with the apex, or refuse the file (error)."),
    frame_base: Optional[int] = typer.Option(None, "--frame-base", min=0,
                                             help="Number of the first frame in the source (default: 1; 0 for a "
                                                  "causalex labels CSV)."),
    expression_type: Optional[ExpressionType] = typer.Option(None, "--type",
                                                             help="casme3 only: type of every row when the sheet "
                                                                  "has no type column (default: from the file name)."),
) -> None:
    """Convert a published annotation file into the generic labels CSV (0-based inclusive frames,
    macro/micro, MEGC emotion classes). The original emotion label, AU code, source row and any
    repair (missing offset or apex) are kept in extra columns.

    Example: causalex labels convert "CAS(ME)^2code_final.xlsx" --format casme2 -o labels.csv
    """
    from causalex.datasets import DATASET_FPS, read_annotations, write_annotations_csv
    from causalex.fileio import check_output_file

    options = {"missing_offset": missing_offset.value, "frame_base": frame_base}
    if fmt is AnnotationFormat.casme3:
        options["expression_type"] = expression_type.value if expression_type else None
    elif expression_type is not None:
        raise InputError("--type applies to --format casme3 only")
    check_output_file(output, [src])
    records = read_annotations(src, fmt.value, **options)
    write_annotations_csv(output, records)
    repaired = sum(1 for r in records if r.note)
    videos = len({r.interval.video for r in records})
    rate = f" at {DATASET_FPS[fmt.value]:g} fps" if fmt.value in DATASET_FPS else ""
    info(f"wrote {output}: {len(records)} intervals in {videos} videos{rate}"
         + (f", {repaired} repaired (see the note column)" if repaired else ""))


@labels_app.command("show")
@handle_errors
def show(
    labels: Path = typer.Argument(..., help="Labels CSV (subject, video, onset, apex, offset, type, emotion)."),
    fps: Optional[float] = typer.Option(None, "--fps", **FPS_RANGE, help="Frame rate, to show durations in seconds."),
) -> None:
    """Count the intervals of a labels CSV per type, emotion and subject, with their lengths.

    Example: causalex labels show labels.csv --fps 30
    """
    from causalex.labels import read_labels_file

    doc = read_labels_file(labels)
    intervals = doc.intervals
    quiet = sorted(set(doc.videos) - {iv.video for iv in intervals})
    info(f"{labels}: {len(intervals)} intervals, {len(doc.videos)} videos"
         + (f" ({len(quiet)} listed without any expression)" if quiet else "")
         + f", {len({s for s in doc.videos.values() if s})} subjects")
    for title, key in (("type", lambda iv: iv.type), ("emotion", lambda iv: iv.emotion or "(none)"),
                       ("subject", lambda iv: iv.subject or "(none)")):
        table = Table(title=f"per {title}", title_justify="left")
        for name in (title, "micro", "macro", "total", "median length" + (" (s)" if fps else " (frames)")):
            table.add_column(name, justify="left" if name == title else "right")
        groups: dict[str, list] = {}
        for iv in intervals:
            groups.setdefault(key(iv), []).append(iv)
        for name in sorted(groups):
            members = groups[name]
            kinds = Counter(iv.type for iv in members)
            lengths = sorted(iv.length for iv in members)
            median = lengths[len(lengths) // 2] if len(lengths) % 2 else (lengths[len(lengths) // 2 - 1]
                                                                          + lengths[len(lengths) // 2]) / 2
            table.add_row(name, str(kinds["micro"]), str(kinds["macro"]), str(len(members)),
                          f"{median / fps:.3f}" if fps else f"{median:g}")
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``labels`` command group (``convert``, ``show``) to the app."""
    app.add_typer(labels_app, name="labels")
