"""`causalex simulate`: write a biased synthetic corpus with a known AU causal mechanism."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import typer

from causalex_cli.commands.extract import Features, RoiLayout, RoiValue
from causalex_cli.common import console, handle_errors, info, progress

MECHANISM_CHOICES = ("default", "random")  # as causalex.simulate.MECHANISM_CHOICES (not imported: startup time)
TOLERANCE = 0.10  # the summary marks simulated numbers within 10% of the preset targets

# (label, summary key, target key, format)
SUMMARY_ROWS = (
    ("subjects", "subjects", "subjects", "{:d}"),
    ("videos", "videos", "videos", "{:d}"),
    ("fps", "fps", "fps", "{:g}"),
    ("mean video duration (s)", "video_mean_s", "video_mean_s", "{:.1f}"),
    ("macro-expressions", "macro", "macro", "{:d}"),
    ("micro-expressions", "micro", "micro", "{:d}"),
    ("macro mean duration (s)", "macro_mean_s", "macro_mean_s", "{:.2f}"),
    ("micro mean duration (s)", "micro_mean_s", "micro_mean_s", "{:.2f}"),
)


def summary_table(summary: dict[str, Any]):
    """A rich table of the simulated numbers beside the preset targets."""
    from rich.table import Table

    table = Table(title=f"simulated corpus: preset {summary['preset']}, seed {summary['seed']}")
    table.add_column("quantity")
    table.add_column("simulated", justify="right")
    table.add_column("target", justify="right")
    table.add_column("within 10%", justify="center")
    for label, key, target_key, fmt in SUMMARY_ROWS:
        value, target = summary[key], summary["targets"][target_key]
        close = abs(value - target) <= TOLERANCE * abs(target) if target else value == target
        table.add_row(label, fmt.format(value), fmt.format(target), "yes" if close else "[red]no[/]")
    table.add_row("masked (tracking failure)", f"{100 * summary['masked_fraction']:.1f}%", "1-3%", "")
    bias = summary["bias"]
    delays = bias.get("delays_s") or []
    lag = f" (delays {'/'.join(f'{d:g}' for d in delays)} s)" if any(delays) else ""
    table.add_row("bias latent", f"{bias['strength']:g} on {'+'.join(bias['aus']) or 'no AU'}{lag}", "", "")
    mech = summary.get("mechanism")
    if mech:
        seed = f" seed {mech['seed']}" if mech.get("seed") is not None else ""
        table.add_row("mechanism", f"{mech['name']}{seed}: {len(mech['edges'])} edges", "", "")
    speech = summary.get("speech") or {}
    if speech.get("per_min"):
        table.add_row("speech latent", f"{speech['per_min']:g}/min on {'+'.join(speech['aus'])}", "", "")
    table.add_row("frames", f"{summary['frames']:,}", "", "")
    return table


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to ``app``."""

    @app.command("simulate")
    @handle_errors
    def simulate(
        output: Path = typer.Option(..., "-o", "--output", help="Folder to write the corpus to (created; must be "
                                                               "empty or hold an earlier simulated corpus)."),
        preset: str = typer.Option("small", "--preset", help="Corpus shape: tiny, small, demo, casme2, samm, "
                                                             "family-a, family-b, family-c, family-hf or sparse.",
                                   metavar="<preset>"),
        bias: Optional[float] = typer.Option(None, "--bias", help="Strength of the dataset's bias latent "
                                                                  "(0 = none; default: the preset's)."),
        seed: int = typer.Option(0, "--seed", help="Random seed; the same seed writes the same bytes."),
        mechanism: str = typer.Option("default", "--mechanism", help="True AU mechanism: default (the preset's, "
                                                                     "FACS-like) or random (a random lagged DAG "
                                                                     "with its own emotion patterns).",
                                      metavar="<default|random>"),
        mechanism_seed: Optional[int] = typer.Option(None, "--mechanism-seed", help="Seed of the random mechanism "
                                                     "(default: --seed); the presets of one family (family-a, -b, "
                                                     "-c, -hf) get the same mechanism from the same seed."),
        questions: bool = typer.Option(False, "--questions", help="Also write questions.jsonl: ME-VQA / ME-LVQA "
                                                                  "questions with their true answers (for "
                                                                  "`causalex megc answer` and `megc score`)."),
        features: Features = typer.Option(Features.au, "--features", help="au (default): OpenFace CSVs of AU "
                                          "intensities; roi: region optical-flow series rendered from them, as "
                                          "`causalex extract --features roi` writes (same labels and truth)."),
        roi_layout: Optional[RoiLayout] = typer.Option(None, "--roi-layout", help="Regions of --features roi: "
                                                       "auwgcn12 (default), metst5 or boosting18."),
        roi_value: Optional[RoiValue] = typer.Option(None, "--roi-value", help="Per region with --features roi: "
                                                     "magnitude (default, one node) or xy (two signed nodes)."),
    ) -> None:
        """Simulate a biased corpus: OpenFace CSVs (region series with --features roi), labels.csv, true_graph.json
        and corpus.json.

        Presets casme2 and samm follow the published shape of CAS(ME)^2 and SAMM Long Videos.

        The family-* presets share one mechanism and differ in bias (AUs, per-AU delays, strength, fps).

        family-b's bias drives a mechanism AU, family-c's is weak; sparse: long videos, few expressions, speech.

        Emotions drive FACS-like AU patterns that spread along a lagged causal AU mechanism.

        Blinks, gestures, speech, head motion, sensor noise, tracking failures and a bias latent make it hard.

        With --questions, questions.jsonl asks the MEGC ME-VQA / ME-LVQA questions with their true answers.

        With --features roi the videos are region optical-flow series rendered from the AU series through a
        face model (causalex.simulate.regions), for the region recipes (auwgcn, me-tst, boostingvrme).

        Example: causalex simulate -o corpus/ --preset family-a --mechanism random --mechanism-seed 3
        """
        from causalex.errors import InputError

        if mechanism not in MECHANISM_CHOICES:  # before the work (and the library import)
            raise InputError(f"--mechanism must be one of {', '.join(MECHANISM_CHOICES)}, got {mechanism!r}")
        if mechanism_seed is not None and mechanism_seed < 0:
            raise InputError(f"--mechanism-seed must be >= 0, got {mechanism_seed}")
        if features is Features.au and (roi_layout is not None or roi_value is not None):
            raise InputError("--roi-layout and --roi-value need --features roi")
        from causalex.simulate import check_corpus_folder, generate_corpus, write_corpus

        check_corpus_folder(output)  # before the work
        start = time.perf_counter()
        with progress() as bar:
            task = bar.add_task(f"simulating {preset}", total=None)
            corpus = generate_corpus(preset, bias=bias, seed=seed, mechanism=mechanism, mechanism_seed=mechanism_seed,
                                     on_video=lambda done, total: bar.update(task, completed=done, total=total))
            au_corpus = corpus
            if features is Features.roi:
                from causalex.simulate.regions import render_corpus_regions

                corpus = render_corpus_regions(corpus, (roi_layout or RoiLayout.auwgcn12).value,
                                               (roi_value or RoiValue.magnitude).value, seed)
            task = bar.add_task("writing", total=len(corpus.series))
            write_corpus(corpus, output, on_file=lambda done, total: bar.update(task, completed=done))
        extra = ""
        stale = output / "questions.jsonl"
        if questions:  # asked about AUs, whatever the videos' features
            from causalex.simulate.questions import write_corpus_questions

            extra = f", {write_corpus_questions(au_corpus, seed, stale)} questions in questions.jsonl"
        elif stale.is_file():
            stale.unlink()  # an earlier corpus's questions no longer fit this one
        console.print(summary_table(corpus.summary))  # the result: shown even with -q
        kind = "" if features is Features.au else f" ({corpus.summary['features']} region flow)"
        info(f"wrote {len(corpus.series)} videos{kind}, labels.csv, true_graph.json and corpus.json{extra} to {output} "
             f"in {time.perf_counter() - start:.1f} s")
