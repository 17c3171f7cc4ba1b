"""The demo's summary: ``report/summary.json`` (every number with the file it was computed from) and
``report/summary.md`` (the same, as tables and embedded plots).

Edges of the discovered graph are compared with the simulator's truth (``corpus_a/true_graph.json``):
a pair is a *mechanism* edge, the *bias latent* (a dependence made by a hidden cause, which FCI
should mark ``<->`` and the debiasing should drop), or *not true*.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import causalex
from causalex.demo.reading import reading_markdown
from causalex.graph import AUGraph, display_edges

CORPUS_KEYS = ("preset", "shape_preset", "bias_preset", "seed", "subjects", "videos", "fps", "frames", "macro",
               "micro", "bias")


def truth_of(edge_pair: tuple[str, str], truth: AUGraph) -> str:
    """How the simulator's true graph links two AUs: ``mechanism X --> Y``, ``bias latent`` or ``not true``."""
    pair = set(edge_pair)
    for e in truth.edges:
        if {e.source, e.target} == pair:
            return f"mechanism {e.source} --> {e.target}" if e.kept else "bias latent <->"
    return "not true"


METHOD_WORDS = {"timeseries": "Time-series discovery (lagged tests on each AU's own past and its candidate parents' "
                              "past, AU selection)",
                "fci": "FCI over lagged AU frames", "pc": "PC over lagged AU frames"}


def edge_rows(graph: AUGraph, truth: AUGraph) -> dict[str, Any]:
    """Kept and dropped edges of ``graph`` with the truth of each, and counts against the truth.

    Returns:
        ``{"kept": [...], "dropped": [...], "truth": {...}}``; each edge is ``{"edge", "kind",
        "source", "target", "reason", "stability", "truth"}``.
    """
    rows: dict[str, list[dict[str, Any]]] = {"kept": [], "dropped": []}
    for e in display_edges(graph, stable_only=True):
        rows["kept" if e.kept else "dropped"].append(
            {"edge": f"{e.source} {e.kind} {e.target}", "kind": e.kind, "source": e.source, "target": e.target,
             "reason": e.reason, "stability": e.stability, "truth": truth_of((e.source, e.target), truth)})
    mechanism = [e for e in truth.edges if e.kept]
    kept_true = [r for r in rows["kept"] if r["truth"].startswith("mechanism")]
    oriented = [r for r in kept_true if r["kind"] == "-->" and r["truth"] == f"mechanism {r['source']} --> {r['target']}"]
    found_true = [r for r in rows["kept"] + rows["dropped"] if r["truth"].startswith("mechanism")]
    found_right = [r for r in found_true if r["kind"] in ("-->", "<--") and r["truth"] == "mechanism {} --> {}".format(
        *((r["source"], r["target"]) if r["kind"] == "-->" else (r["target"], r["source"])))]
    latent = [r for r in rows["kept"] + rows["dropped"] if r["truth"] == "bias latent <->"]
    bias_pairs = [(e.source, e.target) for e in truth.edges if not e.kept]
    excluded: list[str] = []
    if graph.provenance.get("background") == "facs":
        from causalex.discover.facs_prior import facs_pairs

        linked = {frozenset(pair) for pair in facs_pairs(list(graph.nodes))}
        excluded = [f"{a} <-> {b}" for a, b in bias_pairs if frozenset((a, b)) not in linked]
    return {**rows, "truth": {
        "mechanism_edges": len(mechanism), "found_true": len(found_true), "found_oriented_right": len(found_right),
        "kept_true": len(kept_true), "kept_oriented_right": len(oriented), "selection_only": graph.selection_only,
        "kept_not_true": sum(r["truth"] == "not true" for r in rows["kept"]),
        "bias_pairs": [f"{a} <-> {b}" for a, b in bias_pairs],
        "bias_found": [f"{r['edge']} ({'kept' if r in rows['kept'] else 'dropped'})" for r in latent],
        "bias_excluded_by_prior": excluded,
        "left_out": {a: graph.selection[a]["reason"] for a in graph.deselected()},
        "method": graph.provenance.get("method", "?")}}


def found_words(t: dict[str, Any]) -> str:
    """How many true mechanism edges the graph found and oriented right, and how many the model uses."""
    used = ("the model uses none of them (policy selection-only: the AU selection only)"
            if t.get("selection_only") else
            f"{t['kept_true']} kept for the model ({t['kept_oriented_right']} oriented right)")
    return (f"{t.get('found_true', t['kept_true'])} of {t['mechanism_edges']} mechanism edges found "
            f"({t.get('found_oriented_right', t['kept_oriented_right'])} oriented right); {used}")


def build_summary(state: Any, plots: dict[str, Any]) -> dict[str, Any]:
    """The ``summary.json`` document of a finished run (a `causalex.demo.pipeline.DemoState`)."""
    layout, bias = state.layout, state.bias_doc
    return {
        "format": "causalex.demo-summary", "version": 1, "causalex": causalex.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": state.settings.to_json(), "device": str(state.device),
        "corpora": {name.upper(): {"folder": layout.relative(layout.corpus(name)),
                                   **{k: state.corpora[name][k] for k in CORPUS_KEYS if k in state.corpora[name]}}
                    for name in ("a", "b")},
        "scores": state.scores,
        "graph": {"file": "graphs/corpus_a.json", "model_graph": "model/graph.json",
                  **edge_rows(state.graphs["a"], state.graphs["true_a"])},
        "graph_b": {"file": "graphs/corpus_b.json", **edge_rows(state.graphs["b"], state.graphs["true_b"])["truth"]},
        "bias": {"report": layout.relative(layout.bias_report / "report.md"), "summary": bias["summary"],
                 "reliance": bias["reliance"], "graph_diff": (bias.get("graph_diff") or {}).get("counts"),
                 "in_domain_protocol": _protocol_words(bias["settings"].get("folds", 0)),
                 "causal_selection": bias["settings"].get("causal_selection")},
        "megc": state.megc,
        "plots": plots,
    }


def _f(value: float) -> str:
    return f"{value:.3f}"


def summary_markdown(doc: dict[str, Any]) -> str:
    """``summary.md`` from the ``summary.json`` document."""
    s, a, b = doc["settings"], doc["corpora"]["A"], doc["corpora"]["B"]
    lines = ["# causalex demo", "",
             f"Two simulated corpora with the same AU mechanism and different biases (preset `{s['preset']}`, "
             f"seed {s['seed']}, {s['epochs']} epoch(s), device {doc['device']}):", ""]
    for name, c in (("A", a), ("B", b)):
        lines.append(f"- **corpus {name}** (`{c['folder']}/`): {c['videos']} videos, {c['subjects']} subjects, "
                     f"{c['macro']} macro / {c['micro']} micro; {c['bias_preset']}-like bias latent on "
                     f"{' + '.join(c['bias']['aus'])} (strength {c['bias']['strength']:g}: {c['bias']['story']})")
    lines += ["", "## MEGC spotting F1", "",
              "Each row is `causalex evaluate PREDICTIONS --labels LABELS` (IoU >= 0.5, counts pooled over videos).",
              "", "| predictions | corpus | micro F1 | macro F1 | overall F1 | TP / pred / GT | file |",
              "|---|---|---|---|---|---|---|"]
    for row in doc["scores"]:
        sc, o = row["scores"], row["scores"]["overall"]
        lines.append(f"| {row['name']} | {row['corpus']} | {_f(sc['micro']['f1'])} | {_f(sc['macro']['f1'])} | "
                     f"**{_f(o['f1'])}** | {o['tp']} / {o['n_pred']} / {o['n_gt']} | `{row['predictions']}` |")
    g = doc["graph"]
    t = g["truth"]
    lines += ["", *reading_markdown(doc), "## Causal graph of corpus A", "",
              f"{METHOD_WORDS.get(t.get('method'), str(t.get('method')))}, debiased (`{g['file']}`; the model's graph is "
              f"`{g['model_graph']}`). "
              f"Against the simulator's truth: {found_words(t)}, {t['kept_not_true']} kept edge(s) not in the "
              "mechanism; "
              f"bias pair {', '.join(t['bias_pairs']) or 'none'}: found as {', '.join(t['bias_found']) or 'nothing'}"
              + (f" (not a FACS pair, so the FACS background forbade it: {', '.join(t['bias_excluded_by_prior'])}; the "
                 "bias report's graph diff is discovered without the prior, where FCI can flag it)"
                 if t.get("bias_excluded_by_prior") else "") + ". "
              + ("AUs the selection leaves out of the model: "
                 + "; ".join(f"{a} ({why})" for a, why in t["left_out"].items()) + "." if t.get("left_out")
                 else "The AU selection leaves no AU out."),
              "", "| edge | kept | reason | truth |", "|---|---|---|---|"]
    for status in ("kept", "dropped"):
        for e in g[status]:
            lines.append(f"| `{e['edge']}` | {'yes' if status == 'kept' else 'no'} | {e['reason']} | {e['truth']} |")
    lines += ["", f"![causal graph]({doc['plots']['graph'].split('/', 1)[1]})", "",
              "## Bias comparison (train on A, test on B)", "",
              f"Full report: `{doc['bias']['report']}`. Drop = in-domain F1 - cross-domain F1. In-domain F1 here "
              f"comes from the bias study's own {doc['bias']['in_domain_protocol']} (quicker than the LOSO of the "
              "model above, so it differs from that score).", "",
              "| graph | in-domain F1 (A, out of fold) | cross-domain F1 (B) | drop |", "|---|---|---|---|"]
    for variant, rows in doc["bias"]["summary"].items():
        cell = rows["overall"]
        lines.append(f"| {variant} | {_f(cell['in_domain']['mean'])} | {_f(cell['cross_domain']['mean'])} | "
                     f"{_f(cell['drop']['mean'])} |")
    lines += _megc_markdown(doc.get("megc"))
    lines += ["", f"![bias]({doc['plots']['bias'].split('/', 1)[1]})", "", "## Timelines of corpus B", "",
              "AU intensities, ground truth (filled) and predictions (outlined) of the model trained on A, and its "
              "per-frame score.", ""]
    lines += [f"![timeline {Path(p).stem[len('timeline_'):]}]({p.split('/', 1)[1]})" for p in doc["plots"]["timelines"]]
    if "seconds" in doc:
        secs = doc["seconds"]
        lines += ["", "## Time", "", ", ".join(f"{k} {v:.1f} s" for k, v in secs.items() if k != "total")
                  + f"; total {secs.get('total', 0.0):.1f} s."]
    return "\n".join(lines) + "\n"


def _megc_markdown(megc: dict[str, Any] | None) -> list[str]:
    """The MEGC section: corpus B's questions answered from the model's predictions, as the challenge scores."""
    if not megc:
        return []
    lines = ["", "## MEGC questions on corpus B", "",
             f"{megc['questions']} ME-VQA / ME-LVQA questions (`{megc['questions_file']}`) "
             f"answered from the model's predictions and B's AU series (`{megc['answers']}`): BLEU "
             f"{_f(megc['bleu'] or 0.0)}, ROUGE-1 F {_f(megc['rouge1_f'] or 0.0)}.", "",
             "| question kind | n | exact answers |", "|---|---|---|"]
    lines += [f"| {kind} | {k['n']} | {_f(k['exact'])} |" for kind, k in megc["kinds"].items()]
    lines += [f"| {kind} class: UF1 / UAR | {c['n']} | {_f(c['uf1'])} / {_f(c['uar'])} |"
              for kind, c in megc["classes"].items()]
    return lines


__all__ = ["build_summary", "edge_rows", "found_words", "summary_markdown", "truth_of"]


def _protocol_words(folds: int) -> str:
    """``3 folds by subject`` or ``leave-one-subject-out`` (the bias study's in-domain protocol)."""
    return f"{folds} folds by subject" if folds else "leave-one-subject-out"
