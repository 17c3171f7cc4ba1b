"""`causalex evaluate`: MEGC scores of a predictions CSV against a labels CSV."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from causalex_cli.common import console, err_console, handle_errors, info


class Variant(str, enum.Enum):
    """IoU convention of the evaluation."""

    megc = "megc"
    auwgcn = "auwgcn"


@handle_errors
def evaluate(
    predictions: Path = typer.Argument(..., help="Predictions CSV (video,onset,apex,offset,type,score,emotion)."),
    labels: Path = typer.Option(..., "--labels", help="Labels CSV (subject, video, onset, apex, offset, type, "
                                                      "emotion)."),
    json_out: Optional[Path] = typer.Option(None, "--json", "-o", "--output",
                                            help="Write the scores as JSON to this file."),
    variant: Variant = typer.Option(Variant.megc, "--variant",
                                    help="megc: IoU >= 0.5 on inclusive frames (default); "
                                         "auwgcn: the AUW-GCN code's rule (IoU > 0.5, length offset-onset)."),
    drop_duplicates: bool = typer.Option(False, "--drop-duplicates",
                                         help="Keep one of prediction rows that repeat each other (same video, "
                                              "onset, offset, type; the best score) with a warning, instead of "
                                              "refusing the file."),
) -> None:
    """Score spotted intervals with the MEGC protocol: TP, precision, recall and F1 for micro, macro and
    overall (counts pooled over videos), mAP at IoU 0.1..0.5 and, when the labels carry emotions, STRS
    (on micro-expressions, as its reference); then where F1 is lost: ground truths found, found as the
    other type, boundary misses and misses, and predictions that match, hit the other type, overlap
    badly or are false alarms.

    A labels CSV given as predictions (or predictions given as --labels) is refused, as are prediction rows
    that repeat each other (each would count as a prediction; --drop-duplicates keeps one). A type the
    labels hold but no prediction has, or far more predictions of a type than labels, is warned about.

    Example: causalex evaluate predictions.csv --labels labels.csv --json scores.json
    """
    from causalex.fileio import check_output_file, write_text_atomic
    from causalex.labels import read_labels_file, read_predictions_csv
    from causalex.metrics import check_videos, error_breakdown, evaluate_predictions
    from causalex.metrics.inputs import check_file_roles, check_repeated_predictions
    from causalex.metrics.report import strs_line, table_rows
    from causalex.metrics.volume import count_types, volume_warnings

    if json_out is not None:
        check_output_file(json_out, [predictions, labels])
    check_file_roles(predictions, labels)
    preds = read_predictions_csv(predictions)
    labels_doc = read_labels_file(labels)
    truth = labels_doc.intervals
    check_videos(preds, truth, known_videos=labels_doc.videos, path=predictions)
    preds = check_repeated_predictions(preds, predictions, drop=drop_duplicates)
    result = evaluate_predictions(preds, truth, variant=variant.value)
    warnings = volume_warnings(count_types(preds), count_types(truth), str(predictions), "the labels' ground truths")

    header, rows = table_rows(result)
    table = Table(title=f"MEGC spotting ({variant.value})", title_justify="left")
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row, style="bold" if row[0] == "overall" else None)
    console.print(table)
    if (line := strs_line(result)) is not None:
        console.print(line, highlight=False)
    errors = error_breakdown(preds, truth, variant=variant.value)
    console.print(_errors_table(errors))
    for message in warnings:
        err_console.print(f"[bold yellow]warning:[/] {message}", highlight=False)
    if json_out is not None:
        write_text_atomic(json_out, json.dumps({**result.to_json(), "errors": errors.to_json()}, indent=2) + "\n")
        info(f"wrote {json_out}")


def _errors_table(errors) -> Table:
    from causalex.metrics.errors import OUTCOME_TITLES, PREDICTION_OUTCOMES, TRUTH_OUTCOMES

    table = Table(title="where F1 is lost", title_justify="left", caption_justify="left",
                  caption="ground truths: found / found only as the other type / near: overlapped but below the IoU rule / "
                          "no prediction overlaps; predictions: match their type / lie on the other type / near: overlap "
                          "badly / no expression there")
    table.add_column("")
    for outcome in TRUTH_OUTCOMES:
        table.add_column(f"GT {OUTCOME_TITLES[outcome]}", justify="right", overflow="fold")
    for outcome in PREDICTION_OUTCOMES:
        table.add_column(f"pred {OUTCOME_TITLES[outcome]}", justify="right", overflow="fold")
    for kind, truth in errors.truth.items():
        table.add_row(kind, *(str(truth[o]) for o in TRUTH_OUTCOMES),
                      *(str(errors.predictions[kind][o]) for o in PREDICTION_OUTCOMES))
    return table


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` command to the app."""
    app.command("evaluate")(evaluate)
