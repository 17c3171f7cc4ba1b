"""`causalex megc ...`: MEGC 2025/2026 tasks: STR submissions, ME-VQA / ME-LVQA answers and their scores."""

from __future__ import annotations

import enum
import json
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from causalex_cli.common import STATE, comma_list, console, csv_fps_option, handle_errors, info

megc_app = typer.Typer(name="megc", no_args_is_help=True,
                       help="MEGC challenge tasks: spot-then-recognise submissions, ME-VQA / ME-LVQA answers "
                            "from spotted events and AU series, and their scores.")

NOTES_SHOWN = 15  # notes listed on screen (all go to --notes)


class StrTypes(str, enum.Enum):
    """Expression types of the STR submission."""

    micro = "micro"
    all = "all"


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.4f}"


@megc_app.command("str")
@handle_errors
def str_submission(
    predictions: Path = typer.Argument(..., help="Predictions CSV from `causalex spot` (with emotions)."),
    output: Path = typer.Option(..., "-o", "--output", help="STR submission CSV to write "
                                                            "(subject,video,onset,offset,emotion)."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Labels CSV: subjects for the rows and, "
                                                                 "with emotions, the STRS."),
    types: StrTypes = typer.Option(StrTypes.micro, "--types", help="micro: micro-expressions only (MEGC STR); "
                                                                  "all: both types."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the STRS and its parts as JSON here."),
) -> None:
    """Write the MEGC spot-then-recognise submission from spotted intervals; with --labels, its STRS
    (spotting F1 x recognition F1 on the spotted true positives).

    Example: causalex megc str predictions.csv --labels labels.csv -o str.csv
    """
    from causalex.fileio import check_output_file, write_text_atomic
    from causalex.labels import read_labels_file, read_predictions_csv
    from causalex.megc.submission import str_rows, write_str_csv
    from causalex.metrics import check_videos, evaluate_spotting, strs

    check_output_file(output, [predictions, labels])
    if json_out is not None:
        check_output_file(json_out, [predictions, labels, output])
    preds = read_predictions_csv(predictions)
    kinds = ("micro",) if types == StrTypes.micro else ("micro", "macro")
    labels_doc = read_labels_file(labels) if labels is not None else None
    subjects = labels_doc.videos if labels_doc is not None else {}
    result = None
    if labels_doc is not None:
        check_videos(preds, labels_doc.intervals, known_videos=labels_doc.videos, path=predictions)
        row = "micro" if types == StrTypes.micro else "overall"
        spotting = evaluate_spotting(preds, labels_doc.intervals)
        result = strs(preds, labels_doc.intervals, spotting=spotting, row=row)
    rows = str_rows(preds, subjects, kinds)
    write_str_csv(output, rows)
    info(f"wrote {len(rows)} {'micro-expressions' if types == StrTypes.micro else 'expressions'} to {output}")
    if labels_doc is not None and result is None:
        info("the labels carry no emotions: no STRS")
    if result is not None:
        console.print(f"STRS ({result.row}) {result.strs:.4f} = spotting F1 {result.spotting_f1:.4f} x recognition "
                      f"F1 {result.recognition_f1:.4f} ({result.n_pairs} spotted expressions recognised; classes "
                      f"{', '.join(result.classes) or 'none'})", highlight=False)
        if json_out is not None:
            write_text_atomic(json_out, json.dumps(result.to_json(), indent=2) + "\n")
            info(f"wrote {json_out}")


@megc_app.command("answer")
@handle_errors
def answer(
    questions: Path = typer.Argument(..., help="Question file (ME-VQA / ME-LVQA JSONL)."),
    predictions: Path = typer.Option(..., "--predictions", help="Predictions CSV from `causalex spot` (a labels "
                                                                "CSV works too: answers from the labels)."),
    series: Optional[Path] = typer.Option(None, "--series", help="AU series (folder or file): which AUs rise in "
                                                                 "each event; videos without predictions."),
    output: Path = typer.Option(..., "-o", "--output", help="Answers JSONL to write ({video_id, video, "
                                                            "question, answer} a line)."),
    ignore_aus: Optional[str] = typer.Option(None, "--ignore-aus", metavar="<AU,...>",
                                             help="AUs never listed in answers, comma "
                                             "separated (default AU45, blinks; e.g. AU45,AU14,AU23 to leave out "
                                             "a corpus's bias AUs)."),
    notes_out: Optional[Path] = typer.Option(None, "--notes", help="Write every answer that does not come from "
                                                                   "data, with the reason, as JSON here."),
    fps: Optional[float] = csv_fps_option(),
) -> None:
    """Answer ME-VQA / ME-LVQA questions from spotted events, the AUs that rise in them and their emotions,
    and write the submission. Questions of an unknown kind are answered as the baseline would and listed.

    Example: causalex megc answer questions.jsonl --predictions predictions.csv --series series/ -o answers.jsonl
    """
    from dataclasses import replace

    from causalex.errors import InputError
    from causalex.fileio import check_output_file, write_text_atomic
    from causalex.labels import read_predictions_csv
    from causalex.megc import RiseRule, answer_questions, build_evidence, read_questions, write_answers
    from causalex.megc.facs import au_code

    check_output_file(output, [questions, predictions])
    if notes_out is not None:
        check_output_file(notes_out, [questions, predictions, output])
    rule = RiseRule()
    if ignore_aus is not None:
        codes = []
        for name in comma_list(ignore_aus):
            code = au_code(name)
            if code is None:
                raise InputError(f"--ignore-aus: unknown action unit {name!r}")
            codes.append(code)
        rule = replace(rule, ignore=tuple(codes))
    qs = read_questions(questions)
    preds = read_predictions_csv(predictions)
    loaded = []
    if series is not None:
        from causalex.readers import load_series_inputs

        loaded = load_series_inputs([series], fps=fps)
    evidence = build_evidence(preds, loaded, rule)
    answers = answer_questions(qs, evidence, source=str(questions))
    write_answers(output, answers)
    kinds = Counter(a.kind for a in answers)
    info(f"wrote {len(answers)} answers to {output} ({', '.join(f'{k} {n}' for k, n in kinds.most_common())})")
    noted = [a for a in answers if a.note]
    if noted and not STATE["quiet"]:
        table = Table(title=f"{len(noted)} answers not from data", title_justify="left")
        for col in ("line", "id", "kind", "answer", "why"):
            table.add_column(col, overflow="fold")
        for a in noted[:NOTES_SHOWN]:
            table.add_row(str(a.line), a.qid, a.kind, a.answer[:40], a.note)
        console.print(table)
        if len(noted) > NOTES_SHOWN:
            info(f"... and {len(noted) - NOTES_SHOWN} more" + ("" if notes_out else " (all of them with --notes)"))
    if notes_out is not None:
        write_text_atomic(notes_out, json.dumps([{"line": a.line, "id": a.qid, "kind": a.kind, "answer": a.answer,
                                                  "note": a.note} for a in noted], indent=2) + "\n")
        info(f"wrote {notes_out}")


@megc_app.command("score")
@handle_errors
def score(
    answers: Path = typer.Argument(..., help="Answers JSONL ({video_id, answer, ...} a line)."),
    truth: Path = typer.Option(..., "--truth", help="Question file with the true answers (JSONL)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the scores as JSON here."),
) -> None:
    """Score ME-VQA / ME-LVQA answers as the challenge does: UF1 and UAR on the coarse and fine class answers,
    BLEU-4 and ROUGE-1 over all answers; and the share of exact answers per question kind.

    Example: causalex megc score answers.jsonl --truth questions.jsonl --json scores.json
    """
    from causalex.fileio import check_output_file, write_text_atomic
    from causalex.megc import read_answers, read_questions, score_answers

    if json_out is not None:
        check_output_file(json_out, [answers, truth])
    result = score_answers(read_questions(truth), read_answers(answers))
    table = Table(title="ME-VQA / ME-LVQA scores", title_justify="left")
    table.add_column("score")
    table.add_column("value", justify="right")
    table.add_column("n", justify="right")
    n = result["answered"] + len(result["missing"])
    for kind, c in result["classes"].items():
        table.add_row(f"UF1 ({kind})", _fmt(c["uf1"]), str(c["n"]))
        table.add_row(f"UAR ({kind})", _fmt(c["uar"]), str(c["n"]))
    table.add_row("BLEU", _fmt(result["bleu"]), str(n))
    table.add_row("ROUGE-1 F", _fmt(result["rouge1_f"]), str(n))
    table.add_row("ROUGE-1 recall", _fmt(result["rouge1_recall"]), str(n))
    for kind, k in result["kinds"].items():
        table.add_row(f"exact: {kind}", _fmt(k["exact"]), str(k["n"]))
    console.print(table)
    if result["missing"]:
        info(f"{len(result['missing'])} questions have no answer (scored 0), e.g. {result['missing'][0]!r}")
    if result["no_truth"]:
        info(f"{result['no_truth']} questions of {truth} have no true answer and are not scored")
    if result["extra"]:
        info(f"{result['extra']} answers match no question of {truth} and are ignored")
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(result, indent=2) + "\n")
        info(f"wrote {json_out}")


def register(app: typer.Typer) -> None:
    """Add the ``megc`` command group to ``app``."""
    app.add_typer(megc_app, name="megc")
