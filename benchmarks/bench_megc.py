"""MEGC tasks on a simulated corpus: questions written from the labels, answered, scored.

A simulated corpus (default preset ``small``) with its question file (`causalex.simulate.questions`: ME-VQA
questions per expression, ME-LVQA questions per video, true answers from the simulator) is answered three
ways and scored as the challenge scores (`causalex.megc.scoring`):

* from the true labels (spotting and emotions perfect; AUs still measured on the series),
* from a tiny AU-graph spotter's out-of-fold predictions (k-fold, few epochs, graph ``none``),
* the same, with the corpus's bias AUs left out of the AU answers (``--ignore-aus``), as a causal graph's
  selection would suggest.

It also reports the spotter's STR score (micro STRS). Run time: a few minutes on 2 cores.

    python benchmarks/bench_megc.py                 # small preset, 3-fold, 12 epochs
    python benchmarks/bench_megc.py --no-append     # print only

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex.megc import RiseRule, answer_questions, build_evidence, score_answers  # noqa: E402
from causalex.megc.questions import parse_question  # noqa: E402
from causalex.metrics import evaluate_spotting, strs  # noqa: E402
from causalex.simulate import generate_corpus  # noqa: E402
from causalex.simulate.questions import corpus_questions, expression_aus  # noqa: E402
from causalex.train.config import ExperimentConfig  # noqa: E402
from causalex.train.experiment import run_experiment  # noqa: E402

KIND_COLUMNS = (("counts", ("count", "count_micro", "count_macro")), ("k-th type", ("kth_type",)),
                ("AUs", ("aus",)), ("AU shown", ("au_shown",)), ("distinct AUs", ("distinct_aus",)),
                ("chained", ("chained",)))


def _exact(result: dict, kinds: tuple[str, ...]) -> str:
    rows = [result["kinds"][k] for k in kinds if k in result["kinds"]]
    n = sum(r["n"] for r in rows)
    return f"{sum(r['exact'] * r['n'] for r in rows) / n:.2f}" if n else "-"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (see the module text)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", help="simulator preset (default small)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus, questions and training")
    parser.add_argument("--folds", type=int, default=3, help="k-fold folds (default 3)")
    parser.add_argument("--epochs", type=int, default=12, help="training epochs (default 12)")
    parser.add_argument("--graph", default="none", help="graph variant of the spotter (default none: no discovery)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    corpus = generate_corpus(args.preset, seed=args.seed)
    series, labels = corpus.series, corpus.labels
    rows = corpus_questions(labels, expression_aus(corpus.preset, args.seed, labels), list(series[0].au_names),
                            args.seed, {s.video: s.subject for s in series})
    questions = [parse_question("simulated", i + 1, r) for i, r in enumerate(rows)]
    bias_aus = tuple(corpus.preset.bias.aus)
    print(f"corpus {args.preset}: {len(series)} videos, {len(labels)} expressions, {len(questions)} questions "
          f"(bias AUs {', '.join(bias_aus) or 'none'})", flush=True)

    config = ExperimentConfig().merged({"optim": {"threads": args.threads, "epochs": args.epochs},
                                        "protocol": {"protocol": "kfold", "folds": args.folds, "final_model": False}})
    config.seed = args.seed
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="causalex-megc-") as tmp:
        result = run_experiment(series, labels, config, args.graph, Path(tmp) / "run", torch.device("cpu"),
                                command="bench_megc")
    train_s = time.perf_counter() - t1
    preds = result.predictions
    spot = evaluate_spotting(preds, labels)
    strs_micro = strs(preds, labels, spotting=spot)
    print(f"spotter: overall F1 {spot['overall'].f1:.3f}, STRS (micro) "
          f"{strs_micro.strs if strs_micro else float('nan'):.3f} ({train_s:.0f} s)", flush=True)

    ignore = tuple(dict.fromkeys(("AU45", *bias_aus)))
    arms = [("true labels", labels, RiseRule()), ("spotter's predictions", preds, RiseRule()),
            (f"spotter's predictions, --ignore-aus {','.join(ignore)}", preds, replace(RiseRule(), ignore=ignore))]
    table = ["| answers from | UF1 / UAR coarse | UF1 / UAR fine | BLEU | ROUGE-1 F | "
             + " | ".join(f"exact: {name}" for name, _ in KIND_COLUMNS) + " |",
             "|---" * (5 + len(KIND_COLUMNS)) + "|"]
    for name, intervals, rule in arms:
        answers = answer_questions(questions, build_evidence(intervals, series, rule))
        s = score_answers(questions, {a.qid: a.to_row() for a in answers})
        c, f = s["classes"]["coarse"], s["classes"]["fine"]
        table.append(f"| {name} | {c['uf1']:.3f} / {c['uar']:.3f} | {f['uf1']:.3f} / {f['uar']:.3f} | "
                     f"{s['bleu']:.3f} | {s['rouge1_f']:.3f} | "
                     + " | ".join(_exact(s, kinds) for _, kinds in KIND_COLUMNS) + " |")
        print(table[-1], flush=True)
    body = "\n".join([
        f"Corpus: `generate_corpus('{args.preset}', seed={args.seed})` ({len(series)} videos, {len(labels)} "
        f"expressions; bias AUs {', '.join(bias_aus) or 'none'}), {len(questions)} questions with true answers from "
        "`causalex simulate --questions` (ME-VQA per expression with its frames as the clip, ME-LVQA per video). "
        f"Spotter: graph `{args.graph}`, {args.folds}-fold, {args.epochs} epochs, out-of-fold predictions: overall "
        f"F1 {spot['overall'].f1:.3f} (micro {spot['micro'].f1:.3f}, macro {spot['macro'].f1:.3f}), STRS (micro) "
        f"{strs_micro.strs if strs_micro else float('nan'):.3f}; training {train_s / 60:.1f} min, whole run "
        f"{(time.perf_counter() - t0) / 60:.1f} min.", "",
        *table, "",
        "UF1 / UAR over the classes seen among true and given answers; BLEU-4 (smoothing method 1) and ROUGE-1 F "
        "averaged over all questions (a right one-word answer has BLEU 0.178). `exact`: share of answers equal to "
        "the truth (AU lists as sets). AUs are measured on the series in every row (the labels carry none), so "
        "the true-labels row is perfect only on the kinds the labels decide (coarse class, counts, k-th type)."])
    if args.no_append:
        print(body)
    else:
        append_section("MEGC tasks on a simulated corpus", script_command(__file__, argv), body)
        print("appended to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
