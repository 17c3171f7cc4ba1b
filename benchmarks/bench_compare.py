"""Recipes compared with `causalex compare` on simulated corpora (our reimplementations, short training).

Each comparison is one `causalex.compare.run_comparison` call (the library under ``causalex compare``);
``--corpora`` picks them (default ``small,family``):

* ``small``: in-domain on the simulated ``small`` preset (6 subjects, 12 videos), ``--folds`` k-fold;
* ``family``: trained (k-fold) on ``family-a``, its deployment model spotting ``family-b`` (same mechanism,
  another bias; see ``causalex simulate --preset family-a``);
* ``casme2`` / ``samm``: in-domain on corpora shaped like CAS(ME)^2 and SAMM-LV (the presets' frame rate,
  video and expression durations, expressions per video, emotion mix and bias) with fewer subjects and
  videos (`SHAPED`), so that a comparison fits 2 cores;
* ``casme2-samm``: trained on the casme2-shaped corpus, spotting the samm-shaped one (another bias, 200 fps).

``--features au`` (default): every recipe on the simulated AU series (the region recipes then run off their
source's features; the table's ``features`` column says so). ``--features native``: each recipe on the
features its source uses, the region ones on region flow rendered from the same AU series through the
simulator's face model (`causalex.simulate.regions`, as ``causalex simulate --features roi`` writes).
Training is short (``--epochs``) so that ``small,family`` fits about 10 minutes on 2 busy cores: the
numbers rank the recipes' architectures under one protocol on these corpora, nothing more. They are our reimplementations, not the papers' systems or numbers.

    python benchmarks/bench_compare.py                       # default recipes, 3 folds, 8 epochs
    python benchmarks/bench_compare.py --quick --no-append   # tiny corpora, 2 recipes (a smoke run)
    python benchmarks/bench_compare.py --corpora casme2-samm,samm --features native --engine ray

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
from causalex.simulate.presets import get_preset  # noqa: E402
from causalex.simulate.regions import render_corpus_regions  # noqa: E402
from causalex.train.recipes import make_recipe  # noqa: E402

RECIPES = "causalex,auwgcn,me-tst,pesformer-like"
# Reduced corpora with a published corpus's shape: the preset's subjects and videos cut to these counts, its
# expression counts cut in proportion to the videos (expressions per video, durations and fps unchanged).
SHAPED = {"casme2": {"n_subjects": 8, "n_videos": 24}, "samm": {"n_subjects": 10, "n_videos": 40}}
# comparison name -> (training corpus, cross corpus or None)
COMPARISONS = {"small": ("small", None), "family": ("family-a", "family-b"), "casme2": ("casme2", None),
               "samm": ("samm", None), "casme2-samm": ("casme2", "samm")}


def shaped_overrides(preset: str) -> dict[str, int]:
    """Preset overrides of the reduced ``preset``-shaped corpus (`SHAPED`; empty for other presets)."""
    if preset not in SHAPED:
        return {}
    spec = get_preset(preset)
    cut = SHAPED[preset]
    share = cut["n_videos"] / spec.n_videos
    return {**cut, "n_macro": max(1, round(spec.n_macro * share)), "n_micro": max(1, round(spec.n_micro * share))}


def _with_regions(corpus: Corpus, sim, recipes: list[str], seed: int) -> dict[str, Corpus]:
    """``{node kind: corpus}``: the AU corpus and its region flow in each layout the recipes expect."""
    out = {"au": corpus}
    for layout in sorted({make_recipe(r).features.split(":", 1)[1] for r in recipes
                          if make_recipe(r).features.startswith("roi:")}):
        regions = render_corpus_regions(sim, layout, seed=seed)
        out[f"roi:{layout}"] = Corpus(list(regions.series), list(regions.labels), f"{corpus.name} {layout}")
    return out


def _corpus(preset: str, seed: int, quick: bool, native: list[str] | None = None):
    """The corpus, or with ``native`` (the recipes) ``{node kind: corpus}`` of its AU and region features."""
    if quick:
        sim = generate_corpus("tiny", seed=seed, n_subjects=3, n_videos=5, video_mean_s=15.0, video_min_s=12.0)
        name = f"tiny ({preset} stand-in)"
    else:
        cut = shaped_overrides(preset)
        sim = generate_corpus(preset, seed=seed, **cut)
        name = f"{preset}-shaped ({cut['n_subjects']} subjects, {cut['n_videos']} videos)" if cut else preset
    corpus = Corpus(list(sim.series), list(sim.labels), name)
    return corpus if native is None else _with_regions(corpus, sim, native, seed)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen comparisons and append (or print) their tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipes", default=RECIPES, help=f"comma-separated recipes (default {RECIPES})")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpora", default="small,family",
                    help=f"comma-separated comparisons among {', '.join(COMPARISONS)} (default small,family)")
    ap.add_argument("--features", default="au", choices=("au", "native"),
                    help="au: every recipe on AU series; native: each on its source's features (rendered regions)")
    ap.add_argument("--engine", default="serial", choices=("serial", "ray"),
                    help="ray: the recipes train as parallel Ray tasks (one CPU each)")
    ap.add_argument("--quick", action="store_true", help="tiny corpora and 2 epochs (smoke run)")
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)
    recipes = [r for r in args.recipes.split(",") if r]
    corpora = [c for c in args.corpora.split(",") if c]
    unknown = [c for c in corpora if c not in COMPARISONS]
    if unknown:
        ap.error(f"unknown comparison(s) {', '.join(unknown)}; valid: {', '.join(COMPARISONS)}")
    explicit = {"optim": {"epochs": 2 if args.quick else args.epochs, "threads": 1},
                "protocol": {"protocol": "kfold", "folds": 2 if args.quick else args.folds},
                "seed": args.seed}
    overrides = {"protocol": {"min_val_subjects": 1}} if args.quick else {}
    sections = []
    tic = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name in corpora:
            train_preset, test_preset = COMPARISONS[name]
            native = recipes if args.features == "native" else None
            train = _corpus(train_preset, args.seed, args.quick, native)
            test = None if test_preset is None else _corpus(test_preset, args.seed + 1, args.quick, native)
            tic_one = time.perf_counter()
            doc = run_comparison(train, recipes, Path(tmp) / name, test=test, overrides=overrides,
                                 explicit=explicit, engine=args.engine, command=f"bench_compare {name}")
            sections.append(table_markdown(doc).replace("# Recipe comparison", "### Recipe comparison", 1)
                            + f"\nWall time of this comparison: {time.perf_counter() - tic_one:.0f} s.\n")
    total = time.perf_counter() - tic
    body = ("Our reimplementations of each method inside causalex (`causalex.train.recipes` lists what each sets "
            "and where it deviates), " + ("each on its source's features (region flow rendered from the simulated AU "
            "series by causalex.simulate.regions)" if args.features == "native" else "all on simulated AU series")
            + ", short training (" + str(explicit["optim"]["epochs"])
            + " epochs), k-fold with epoch and thresholds chosen on inner validation. Not the papers' systems: "
            "their own numbers (e.g. BoostingVRME's STRS 0.0562 on CAS(ME)^3, 0.2000 on SAMM-LV) are context only "
            f"and not comparable. Engine {args.engine}; wall time of all comparisons: {total:.0f} s.\n\n"
            + "\n".join(sections))
    print(body)
    if not args.no_append:
        append_section("Recipes compared (causalex compare, simulated corpora)", script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
