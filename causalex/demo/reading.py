"""The "What the numbers say" paragraph of the demo summary, written from the run's own numbers.

Every sentence is computed from ``summary.json`` (scores, bias study, reliance); nothing is a canned
result. The closing caveat points to the measured spread of the demo over seeds (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from typing import Any

SEED_SPREAD_SECTION = "The demo over seeds"  # the RESULTS.md section that measures the demo's spread


def _overall(doc: dict[str, Any], key: str) -> float | None:
    """Overall F1 of the scored row ``key`` (a key of `causalex.demo.pipeline.SCORED`), None when absent."""
    row = next((r for r in doc["scores"] if r.get("key") == key), None)
    return None if row is None else float(row["scores"]["overall"]["f1"])


def _spotting_sentences(doc: dict[str, Any]) -> list[str]:
    model_a, model_b = _overall(doc, "model_a"), _overall(doc, "model_b")
    thr_a, thr_b = _overall(doc, "threshold_a"), _overall(doc, "threshold_b")
    if None in (model_a, model_b, thr_a, thr_b):
        return []
    out = [f"- On held-out subjects of A the trained spotter reaches overall F1 {model_a:.3f}, the untrained "
           f"threshold spotter {thr_a:.3f} ({model_a - thr_a:+.3f})."]
    verdict = ("it stays above the threshold spotter there" if model_b > thr_b else
               "it falls below the threshold spotter there: what it learned on A did not carry over")
    out.append(f"- On corpus B (other subjects, another dataset bias) the model trained on A scores {model_b:.3f} "
               f"({model_b - model_a:+.3f} against A); the threshold spotter, which learns nothing from A, scores "
               f"{thr_b:.3f} on B, so {verdict}.")
    without = _overall(doc, "model_b_without_bias_aus")
    if without is not None:
        aus = " + ".join(doc["corpora"]["A"]["bias"]["aus"])
        out.append(f"- Trained on A without A's bias AUs ({aus}, known here from the simulator; on real data the AU "
                   f"removal test below points to candidates), the model scores {without:.3f} on B, against "
                   f"{model_b:.3f} with every AU ({without - model_b:+.3f}).")
    return out


def _reliance_sentences(doc: dict[str, Any]) -> list[str]:
    bias_aus = list(doc["corpora"]["A"]["bias"]["aus"])
    out = []
    for variant, domains in doc["bias"]["reliance"].items():
        in_domain = {au: float(v["mean"]) for au, v in (domains.get("in_domain") or {}).items()}
        if not in_domain:
            continue
        top_au = max(in_domain, key=in_domain.__getitem__)
        costs = ", ".join(f"{au} {in_domain[au]:+.3f}" for au in sorted(in_domain, key=in_domain.__getitem__,
                                                                        reverse=True))
        if in_domain[top_au] <= 0:
            reading = "no single AU's removal costs F1"
        elif top_au in bias_aus:
            reading = (f"the largest loss is on {top_au}, one of A's bias AUs: the model reads A's bias, which B "
                       f"does not share (`causalex bias ... --exclude-aus {','.join(bias_aus)}` reruns the study "
                       "without them)")
        else:
            reading = f"the largest loss is on {top_au}, not one of A's bias AUs ({' + '.join(bias_aus)})"
            leaned = [f"{au} {in_domain[au]:+.3f}" for au in bias_aus if in_domain.get(au, 0.0) > 0]
            if leaned:
                reading += f", though the model leans on them too ({', '.join(leaned)})"
        out.append(f"- One AU removed at test time (graph {variant}), in-domain F1 lost: {costs}; {reading}.")
    return out


def _graph_sentence(doc: dict[str, Any]) -> list[str]:
    summary = doc["bias"]["summary"]
    if not {"causal", "none"} <= set(summary):
        return []
    causal, none = summary["causal"]["overall"], summary["none"]["overall"]
    out = [f"- Causal graph against no graph (bias study, one seed): in-domain {causal['in_domain']['mean']:.3f} "
           f"vs {none['in_domain']['mean']:.3f}, on B {causal['cross_domain']['mean']:.3f} vs "
           f"{none['cross_domain']['mean']:.3f}."]
    sel = doc["bias"].get("causal_selection")
    if sel:
        truth = set(doc["corpora"]["A"]["bias"]["aus"])
        left = list(sel["left_out"])
        read = "A, with B's AU series as an unlabelled context" if sel["test_series_read_before_training"] else "A alone"
        verdict = ("exactly A's bias AUs" if set(left) == truth else
                   f"{len(set(left) & truth)} of A's {len(truth)} bias AUs"
                   + (f", and {', '.join(sorted(set(left) - truth))} that is not one" if set(left) - truth else ""))
        out.append(f"- The causal variant's AU selection (discovered from {read}; B's labels unread) left out "
                   f"{', '.join(left) or 'no AU'}: {verdict} (the simulator's truth: {', '.join(sorted(truth))}).")
    return out


def reading_markdown(doc: dict[str, Any]) -> list[str]:
    """Markdown lines of the summary's reading section (empty when the run has no scores to read)."""
    body = _spotting_sentences(doc) + _reliance_sentences(doc) + _graph_sentence(doc)
    if not body:
        return []
    a = doc["corpora"]["A"]
    caveat = (f"Corpora of {a['subjects']} subjects and {a['macro'] + a['micro']} expressions are small: between "
              "seeds, in-domain F1 moves by a few hundredths and F1 on B by much more, as each seed draws how "
              f"strongly the model takes up A's bias (benchmarks/RESULTS.md, \"{SEED_SPREAD_SECTION}\"). Read "
              "differences of that size as noise; corpus-sized comparisons are in benchmarks/RESULTS.md.")
    return ["## What the numbers say", "", *body, "", caveat, ""]


__all__ = ["SEED_SPREAD_SECTION", "reading_markdown"]
