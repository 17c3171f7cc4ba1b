"""Recipes compared with `causalex compare` on simulated corpora (our reimplementations, short training).

Two comparisons, each one `causalex.compare.run_comparison` call (the library under ``causalex compare``):

* in-domain on the simulated ``small`` preset (6 subjects, 12 videos), ``--folds`` k-fold;
* a cross-corpus pair: trained (k-fold) on ``family-a``, its deployment model spotting ``family-b`` (same
  mechanism, another bias; see ``causalex simulate --preset family-a``).

The simulator writes AU series only, so every recipe runs on AU features; the region recipes run off their
source's features (the table's ``features`` column says so). Training is short (``--epochs``) so the whole
run fits about 10 minutes on 2 busy cores: the numbers rank the recipes' architectures under one protocol on
these corpora, nothing more. They are our reimplementations, not the papers' systems or numbers.

    python benchmarks/bench_compare.py                       # default recipes, 3 folds, 8 epochs
    python benchmarks/bench_compare.py --quick --no-append   # tiny corpora, 2 recipes (a smoke run)

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex.compare import Corpus, run_comparison, table_markdown  # noqa: E402
from causalex.simulate import generate_corpus  # noqa: E402

RECIPES = "causalex,auwgcn,me-tst,pesformer-like"


def _corpus(preset: str, seed: int, quick: bool) -> Corpus:
    kwargs = {"n_subjects": 3, "n_videos": 5, "video_mean_s": 15.0, "video_min_s": 12.0} if quick else {}
    sim = generate_corpus("tiny" if quick else preset, seed=seed, **kwargs)
    return Corpus(list(sim.series), list(sim.labels), f"tiny ({preset} stand-in)" if quick else preset)


def main(argv: list[str] | None = None) -> int:
    """Run both comparisons and append (or print) the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", default=RECIPES, help=f"comma-separated recipes (default {RECIPES})")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="tiny corpora and 2 epochs (smoke run)")
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)
    recipes = [r for r in args.recipes.split(",") if r]
    explicit = {"optim": {"epochs": 2 if args.quick else args.epochs, "threads": 1},
                "protocol": {"protocol": "kfold", "folds": 2 if args.quick else args.folds},
                "seed": args.seed}
    overrides = {"protocol": {"min_val_subjects": 1}} if args.quick else {}
    sections = []
    tic = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        small = _corpus("small", 0, args.quick)
        doc = run_comparison(small, recipes, Path(tmp) / "small", overrides=overrides, explicit=explicit,
                             command="bench_compare small")
        sections.append(table_markdown(doc).replace("# Recipe comparison", "### Recipe comparison", 1))
        train, test = _corpus("family-a", 0, args.quick), _corpus("family-b", 1, args.quick)
        doc = run_comparison(train, recipes, Path(tmp) / "pair", test=test, overrides=overrides, explicit=explicit,
                             command="bench_compare family-a -> family-b")
        sections.append(table_markdown(doc).replace("# Recipe comparison", "### Recipe comparison", 1))
    total = time.perf_counter() - tic
    body = ("Our reimplementations of each method inside causalex (`causalex.train.recipes` lists what each sets "
            "and where it deviates), all on simulated AU series, short training (" + str(explicit["optim"]["epochs"])
            + " epochs), k-fold with epoch and thresholds chosen on inner validation. Not the papers' systems: "
            "their own numbers (e.g. BoostingVRME's STRS 0.0562 on CAS(ME)^3, 0.2000 on SAMM-LV) are context only "
            f"and not comparable. Wall time of both comparisons: {total:.0f} s.\n\n" + "\n".join(sections))
    print(body)
    if not args.no_append:
        append_section("Recipes compared (causalex compare, simulated corpora)", script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
