"""Write a bias study to a folder: ``report.md``, ``report.json``, predictions CSVs, graphs and plots.

Layout of the report folder::

    report.md, report.json
    predictions/<variant>_seed<seed>_in_domain.csv      out-of-fold (LOSO) predictions on corpus A
    predictions/<variant>_seed<seed>_cross_domain.csv   predictions of the full model on corpus B
    graphs/train_<variant>.json, graphs/test_causal.json  graphs of the models; B's graph for the diff
    graphs/train_causal_diff.json                       A's graph for the diff (when its settings differ)
    bias_bars.png, graph_diff.png, reliance_in_domain.png, reliance_cross_domain.png
    timeline_<video>.png                                a few test videos: truth, predictions, scores

Every in-domain and cross-domain score is `causalex.metrics.evaluate_spotting` of one of those CSVs
against its corpus's labels, so ``causalex evaluate`` on a CSV gives the same numbers. The "B, fold
models" column and the AU reliance tables score predictions that are not written (one set per fold
model, per removed AU); they are computed the same way.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import causalex
from causalex.bias.protocol import BiasStudy
from causalex.bias.summary import DOMAINS, summarise_reliance, summarise_runs, top_reliance
from causalex.errors import input_error
from causalex.fileio import check_output_file, write_text_atomic
from causalex.labels import write_predictions_csv
from causalex.metrics.spotting import SCORE_ROWS

log = logging.getLogger(__name__)


def predictions_name(variant: str, seed: int, domain: str) -> str:
    """Relative path of one predictions CSV in the report folder."""
    return f"predictions/{variant}_seed{seed}_{domain}.csv"


def study_json(study: BiasStudy, command: str = "") -> dict[str, Any]:
    """The ``report.json`` document: inputs, settings, per-seed runs, summaries, graph diff, timings."""
    cfg = study.config
    return {
        "format": "causalex.bias-report", "version": 1, "causalex": causalex.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": command,
        "train": study.train, "test": study.test, "au_names": study.au_names, "au_note": study.au_note,
        "settings": {"variants": list(cfg.variants), "seeds": list(cfg.seeds), "reliance": list(cfg.reliance),
                     "reliance_aus": list(cfg.reliance_aus) if cfg.reliance_aus else None,
                     "iou_variant": cfg.variant, "folds": cfg.folds,
                     "in_domain": ("leave-one-subject-out" if cfg.folds == 0 else f"{cfg.folds} folds by subject")
                     + " on the training corpus (out-of-fold predictions pooled)",
                     "cross_domain": "trained on all of the training corpus, tested on the test corpus",
                     "spread": "sample standard deviation over seeds",
                     "au_removal": "node features zeroed (valid flag too) and the AU's graph edges cut",
                     "causal_graph": _discovery_settings(cfg.discovery),
                     "diff_graph": _discovery_settings(cfg.diff_discovery),
                     "causal_selection": _selection(study)},
        "summary": summarise_runs(study.runs),
        "reliance": summarise_reliance(study.runs),
        "runs": [r.to_json() for r in study.runs],
        "graph_diff": study.graph_diff.to_json() if study.graph_diff is not None else None,
        "events": study.events, "seconds": study.seconds,
        "timelines": [f"timeline_{ex.series.video}.png" for ex in study.examples],
    }


def _selection(study: BiasStudy) -> dict[str, Any] | None:
    """The full causal model's AU selection and what its discovery read (None without a causal variant)."""
    graph = study.graphs.get("causal")
    if graph is None:
        return None
    contexts = graph.provenance.get("contexts", {})
    return {"left_out": {a: graph.selection[a]["reason"] for a in graph.deselected()},
            "contexts": list(contexts), "test_series_read_before_training": len(contexts) > 1,
            "test_labels_read_before_training": False}


def _discovery_settings(cfg: Any) -> dict[str, Any]:
    return {"method": cfg.method, "alpha": cfg.alpha, "policy": cfg.policy, "background": cfg.background}


def _describe_discovery(d: dict[str, Any] | None) -> str:
    if not d:
        return "settings not recorded"
    return f"{d['method'].upper()}, alpha {d['alpha']:g}, {d['policy']} policy, background {d['background']}"


def _selection_line(sel: dict[str, Any] | None, test_name: str) -> str | None:
    """The report's sentence on what the causal variant's discovery read and which AUs it left out."""
    if not sel:
        return None
    read = (f"A's AU series and labels, and {test_name}'s AU series as an unlabelled context ({test_name}'s labels "
            "were read only after training)" if sel["test_series_read_before_training"] else
            "A only (one corpus: a bias cannot be told from a mechanism; the selection needs a second corpus)")
    out = "; ".join(f"{a} ({why})" for a, why in sel["left_out"].items()) or "none"
    return f"- Causal variant's AU selection (full model): read {read}. AUs left out: {out}."


def _pm(stats: dict[str, Any]) -> str:
    return f"{stats['mean']:.3f} ± {stats['std']:.3f}"


def _pairs(changes: list[dict[str, Any]]) -> str:
    if not changes:
        return "none"
    return ", ".join(f"{c['a']} {c['kind_a'] or '·'}|{c['kind_b'] or '·'} {c['b']}" for c in changes)


def report_markdown(doc: dict[str, Any]) -> str:
    """``report.md`` from the ``report.json`` document (tables of F1, drop, reliance and the graph diff)."""
    s, tr, te = doc["settings"], doc["train"], doc["test"]
    n_seeds = len(s["seeds"])
    lines = [
        "# Cross-dataset bias report", "",
        f"- Train corpus A: **{tr['name']}**: {tr['videos']} videos, {tr['subjects']} subjects, "
        f"{tr['macro']} macro / {tr['micro']} micro expressions",
        f"- Test corpus B: **{te['name']}**: {te['videos']} videos, {te['subjects']} subjects, "
        f"{te['macro']} macro / {te['micro']} micro expressions",
        f"- AUs ({len(doc['au_names'])}): {' '.join(doc['au_names'])}",
    ]
    if doc["au_note"]:
        lines.append(f"- **Note:** {doc['au_note']}")
    lines += [
        f"- In-domain: {s['in_domain']}; cross-domain: {s['cross_domain']}. "
        + ("B's labels are read only after every model is trained (its AU series before, as the causal variant's "
           "unlabelled context)" if (s.get("causal_selection") or {}).get("test_series_read_before_training") else
           "Nothing from B is read before every model is trained")
        + "; the graph of B below is discovered afterwards, for this diff only.",
        f"- Scores: MEGC spotting F1 ({s['iou_variant']} IoU rule), counts pooled over videos; "
        f"mean ± {s['spread']} ({n_seeds} seed(s): {s['seeds']}). Drop = in-domain F1 - cross-domain F1.",
        f"- Causal variant's graph: {_describe_discovery(s.get('causal_graph'))} (discovered on each fold's "
        "training subjects, and on all of A for the full model)." if "causal" in s["variants"] else None,
        _selection_line(s.get("causal_selection"), te["name"]) if "causal" in s["variants"] else None,
        f"- Command: `{doc['command']}`" if doc["command"] else None, "",
        "## F1 per graph variant", "",
        "*Cross-domain* is the model trained on all of A; *B, fold models* scores the in-domain fold models on B "
        "(counts pooled over the fold models, as the in-domain column pools their folds): the same models as the in-domain column, so *drop, same models* is the domain "
        "shift alone, without the full model's extra training subjects and other validation subjects.", "",
        "| variant | type | in-domain F1 | cross-domain F1 | drop | B, fold models | drop, same models |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, rows in doc["summary"].items():
        for row in SCORE_ROWS:
            cell = rows[row]
            name = f"**{variant}**" if row == "overall" else variant
            extra = [_pm(cell[k]) if k in cell else "n/a" for k in ("fold_cross_domain", "drop_same_models")]
            lines.append(f"| {name} | {row} | {_pm(cell['in_domain'])} | {_pm(cell['cross_domain'])} | "
                         f"{_pm(cell['drop'])} | {extra[0]} | {extra[1]} |")
    lines += ["", "![in-domain vs cross-domain](bias_bars.png)", ""]
    if doc["reliance"]:
        lines += ["## AU reliance", "",
                  f"Overall F1 lost when one AU is removed at test time ({s['au_removal']}); the three AUs "
                  "whose removal costs most, mean over seeds. A large loss on an AU that is not part of "
                  "the expression mechanism means the model leans on it.", "",
                  "| variant | in-domain (A, out of fold) | cross-domain (B) |", "|---|---|---|"]
        for variant, by_domain in doc["reliance"].items():
            cells = []
            for domain in DOMAINS:
                top = top_reliance(by_domain.get(domain, {}))
                cells.append(", ".join(f"{au} {loss:+.3f}" for au, loss in top) or "n/a")
            lines.append(f"| {variant} | {cells[0]} | {cells[1]} |")
        measured = [d for d in DOMAINS if any(by_domain.get(d) for by_domain in doc["reliance"].values())]
        lines += [""] + [f"![AU reliance, {d.replace('_', '-')}](reliance_{d}.png)" for d in measured] + [""]
    diff = doc["graph_diff"]
    if diff is not None:
        counts = diff["counts"]
        lines += [f"## Graph diff: causal graph of {diff['name_a']} vs {diff['name_b']}", "",
                  "Pairs are written `AU kind-in-A|kind-in-B AU` (`·`: not adjacent). `<->` is FCI's mark of a "
                  f"latent common cause. Both graphs: {_describe_discovery(s.get('diff_graph'))}"
                  + (" (no prior, so none can hide a corpus's own edges)." if (s.get("diff_graph") or {}).get(
                      "background") == "none" else "."), "",
                  f"- only in {diff['name_a']} ({counts['only_a']}): {_pairs(diff['only_a'])}",
                  f"- only in {diff['name_b']} ({counts['only_b']}): {_pairs(diff['only_b'])}",
                  f"- different kind ({counts['changed']}): {_pairs(diff['changed'])}",
                  f"- `<->` in either ({counts['latent']}): {_pairs(diff['latent'])}",
                  f"- same in both: {counts['same']} pairs", "", "![graph diff](graph_diff.png)", ""]
    if doc.get("timelines"):
        lines += ["## Timelines (cross-domain)", "",
                  "Ground truth filled, predictions outlined (macro blue, micro red), the model's `inside` score "
                  "below.", ""] + [f"![{name}]({name})" for name in doc["timelines"]] + [""]
    secs = doc["seconds"]
    lines += ["## Files and time", "",
              "Predictions CSVs: `predictions/<variant>_seed<seed>_{in_domain,cross_domain}.csv` (score them with "
              "`causalex evaluate`; the *B, fold models* column and the reliance tables score predictions that "
              "are not written, one set per fold model and per removed AU).", "",
              f"Total {secs.get('total', 0.0):.1f} s (training and in-domain {secs.get('train_and_in_domain', 0.0):.1f} s, "
              f"cross-domain {secs.get('cross_domain', 0.0):.1f} s, graph diff {secs.get('graph_diff', 0.0):.1f} s).", ""]
    return "\n".join(line for line in lines if line is not None) + "\n"


REPORT_FILE = "report.json"
REPORT_OUTPUTS = ("predictions/*.csv", "graphs/*.json", "bias_bars.png", "graph_diff.png", "reliance_*.png",
                  "timeline_*.png")  # what write_report may write besides report.json / report.md


def check_report_folder(out_dir: str | os.PathLike) -> None:
    """Check, before a study starts, that ``out_dir`` can take its report: new, empty, or an earlier report
    (which `write_report` replaces), and writable.

    Raises:
        InputError: a file, a trained model folder, a non-empty folder holding no report, or unwritable.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise input_error(out, "exists and is not a folder; the report needs a folder")
    if out.is_dir():
        if (out / "model.pt").exists() or (out / "metrics.json").exists():
            raise input_error(out, "holds a trained model; choose another folder for the report")
        if any(not p.name.startswith(".") for p in out.iterdir()) and not (out / REPORT_FILE).is_file():
            raise input_error(out, f"is not empty and holds no bias report ({REPORT_FILE}); choose an empty or new "
                                   "folder")
    check_output_file(out / REPORT_FILE)


def _remove_stale(out: Path, written: dict[str, Path]) -> None:
    """Delete what an earlier report wrote in ``out`` (`REPORT_OUTPUTS`) that this one did not, so the folder
    never mixes two studies; files of other names are left alone."""
    keep = {p.resolve() for p in written.values()}
    for path in (p for pattern in REPORT_OUTPUTS for p in out.glob(pattern)):
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
            log.info("removed %s (left by an earlier report)", path)


def write_report(study: BiasStudy, out_dir: str | os.PathLike, command: str = "", plots: bool = True
                 ) -> dict[str, Path]:
    """Write the report folder (every file atomically; ``report.json`` and ``report.md`` last).

    Args:
        study: a finished `BiasStudy`.
        out_dir: the report folder (created if missing; an earlier report's files are replaced and the ones
            this report does not write are removed).
        command: the command line, stored in the report.
        plots: also draw the PNGs.

    Returns:
        ``{name: path}`` of the files written.
    """
    out = Path(out_dir)
    files: dict[str, Path] = {}
    for (variant, seed, domain), preds in study.predictions.items():
        rel = predictions_name(variant, seed, domain)
        rate = study.fps.get("test" if domain == "cross_domain" else "train", {})
        write_predictions_csv(out / rel, preds, fps=rate)
        files[rel] = out / rel
        for run in study.runs:
            if run.variant == variant and run.seed == seed:
                run.files[domain] = rel
    for name, graph in study.graphs.items():
        rel = f"graphs/{name}.json" if name == "test_causal" else f"graphs/train_{name}.json"
        graph.save(out / rel)
        files[rel] = out / rel
    doc = study_json(study, command)
    if not plots:
        doc["timelines"] = []
    if plots:
        files.update(_write_plots(study, doc, out))
    write_text_atomic(out / REPORT_FILE, json.dumps(doc, indent=2) + "\n")
    write_text_atomic(out / "report.md", report_markdown(doc))
    files[REPORT_FILE], files["report.md"] = out / REPORT_FILE, out / "report.md"
    _remove_stale(out, files)
    log.info("wrote bias report to %s (%d files)", out, len(files))
    return files


def _write_plots(study: BiasStudy, doc: dict[str, Any], out: Path) -> dict[str, Path]:
    from causalex.viz.bias_plot import plot_bias_bars, plot_graph_diff, plot_reliance
    from causalex.viz.timeline import plot_timeline

    files = {"bias_bars.png": out / "bias_bars.png"}
    title = (f"F1 trained on {doc['train']['name']}: in-domain (out of fold) vs on {doc['test']['name']}, "
             f"{len(doc['settings']['seeds'])} seed(s); number = cross minus in")
    plot_bias_bars(doc["summary"], files["bias_bars.png"], title=title)
    if study.graph_diff is not None:
        files["graph_diff.png"] = out / "graph_diff.png"
        plot_graph_diff(study.graph_diff, files["graph_diff.png"])
    for domain in DOMAINS:
        if doc["reliance"]:
            path = out / f"reliance_{domain}.png"
            if plot_reliance(doc["reliance"], domain, path) is not None:
                files[path.name] = path
    for ex in study.examples:
        path = out / f"timeline_{ex.series.video}.png"
        plot_timeline(ex.series, ex.truth, ex.predictions, ex.scores, path=path, title=ex.title)
        files[path.name] = path
    return files
