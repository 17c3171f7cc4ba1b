"""`causalex demo`: the whole pipeline on two simulated, differently biased corpora (no data, no network)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Optional

import typer

from causalex.logs import info_logs_off
from causalex_cli.common import STATE, console, handle_errors, info, progress

PLAIN_EVERY_S = 10.0  # without a terminal (logs, CI) a progress line at most this often


def scores_table(summary: dict[str, Any]):
    """Rich table of the MEGC F1 of every predictions file of the demo."""
    from rich.table import Table

    table = Table(title="MEGC spotting F1 (IoU >= 0.5, counts pooled over videos)", title_justify="left")
    for name in ("predictions", "on", "micro", "macro", "overall", "TP/N_pred/N_gt"):
        table.add_column(name, justify="left" if name in ("predictions", "on") else "right")
    for row in summary["scores"]:
        sc, overall = row["scores"], row["scores"]["overall"]
        table.add_row(row["name"], row["corpus"], f"{sc['micro']['f1']:.3f}", f"{sc['macro']['f1']:.3f}",
                      f"{overall['f1']:.3f}", f"{overall['tp']}/{overall['n_pred']}/{overall['n_gt']}")
    return table


def edges_table(summary: dict[str, Any]):
    """Rich table of the kept and dropped edges of corpus A's causal graph, with the simulator's truth."""
    from rich.table import Table

    graph, truth = summary["graph"], summary["graph"]["truth"]
    from causalex.demo.summary import found_words

    table = Table(title=f"causal graph of corpus A ({graph['file']}): {found_words(truth)}", title_justify="left")
    for name in ("edge", "kept", "reason", "truth (simulator)"):
        table.add_column(name, no_wrap=name == "edge")
    for status in ("kept", "dropped"):
        for e in graph[status]:
            table.add_row(e["edge"], "yes" if status == "kept" else "[dim]no[/]", e["reason"], e["truth"],
                          style=None if status == "kept" else "dim")
    return table


def reading(summary: dict[str, Any]):
    """The summary's "What the numbers say" section, rendered for the terminal."""
    from rich.markdown import Markdown

    from causalex.demo.reading import reading_markdown

    return Markdown("\n".join(reading_markdown(summary)))


def bias_table(summary: dict[str, Any]):
    """Rich table of in-domain vs cross-domain overall F1 per graph variant."""
    from rich.table import Table

    a, b = summary["corpora"]["A"], summary["corpora"]["B"]
    protocol = summary["bias"].get("in_domain_protocol", "")
    title = (f"bias comparison: trained on A ({a['bias_preset']}-like bias), tested on B ({b['bias_preset']}-like "
             "bias); overall F1" + (f"; in-domain by {protocol}" if protocol else ""))
    table = Table(title=title, title_justify="left")
    for name in ("graph", "in-domain (A, out of fold)", "cross-domain (B)", "drop"):
        table.add_column(name, justify="left" if name == "graph" else "right")
    for variant, rows in summary["bias"]["summary"].items():
        cell = rows["overall"]
        table.add_row(variant, *(f"{cell[k]['mean']:.3f}" for k in ("in_domain", "cross_domain", "drop")))
    return table


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""

    @app.command("demo")
    @handle_errors
    def demo(
        output: Path = typer.Option(Path("causalex-demo"), "-o", "--output",
                                    help="Folder to write everything to (created; an earlier demo in it is "
                                         "replaced, any other non-empty folder is refused)."),
        preset: Optional[str] = typer.Option(None, "--preset", help="Simulator preset of both corpora: tiny, "
                                                                    "small, demo (default), casme2, samm, family-a, "
                                                                    "family-b, family-c, family-hf or sparse.",
                                             metavar="<preset>"),
        epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Training epochs of every model "
                                                                          "(default 12; 1 with --quick)."),
        seed: int = typer.Option(0, "--seed", min=0, help="Random seed: corpus A uses it, corpus B seed+1, "
                                                          "training starts from it."),
        quick: bool = typer.Option(False, "--quick", help="Tiny setting (seconds, for tests): tiny preset with 3 "
                                                          "subjects, 1 epoch."),
        device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda.",
                                   metavar="<auto|cpu|cuda>"),
        threads: int = typer.Option(1, "--threads", min=0, help="Torch CPU threads (0: torch's default); 1 is "
                                                                "fastest for these small models on 2 cores."),
    ) -> None:
        """Run the whole pipeline on two simulated, differently biased corpora (no data, no network).

        Two corpora of 8 subjects (132 expressions each) with the same AU mechanism and different
        biases are simulated; their causal graphs are discovered; the spotter is trained with
        leave-one-subject-out on corpus A, spots corpus B and is scored with the MEGC protocol; a second
        model, trained on A without A's bias AUs, spots B too; a bias study compares graph variants
        in-domain and cross-domain. Prints the F1 table, the kept and dropped edges and a reading of the
        numbers, and writes a report folder with AU timelines, the causal graph and the bias chart.

        Takes a few minutes on a 2-core CPU; needs no data and no network.

        Example: causalex demo -o causalex-demo --epochs 12 --seed 0
        """
        from causalex.demo import STAGES, demo_settings, run_demo

        settings = demo_settings(preset=preset, epochs=epochs, seed=seed, quick=quick, device=device,
                                 threads=threads)
        info(f"causalex demo: preset {settings.preset}, {settings.epochs} epoch(s), seed {settings.seed}, "
             f"output {output}")
        start = time.perf_counter()
        plain = not sys.stderr.isatty()
        with progress() as bar:
            overall = bar.add_task("demo", total=len(STAGES))
            stage_task = bar.add_task("starting", total=None)
            current = {"stage": None, "t0": start, "said": start}

            def on_progress(event) -> None:
                now = time.perf_counter()
                if event.stage != current["stage"]:
                    if plain and current["stage"] is not None:
                        info(f"  {current['stage']} done in {now - current['t0']:.1f} s")
                    current.update(stage=event.stage, t0=now, said=now)
                    bar.update(overall, completed=event.stage_index - 1,
                               description=f"stage {event.stage_index}/{len(STAGES)}: {event.stage}")
                    bar.reset(stage_task, total=event.total)
                    if plain:
                        info(f"[{event.stage_index}/{len(STAGES)}] {event.stage} ...")
                elif plain and now - current["said"] >= PLAIN_EVERY_S:  # no bars without a terminal: a line now and then
                    info(f"  {event.message} ({event.done}/{event.total or '?'})")
                    current["said"] = now
                bar.update(stage_task, completed=event.done, total=event.total, description=event.message)

            with info_logs_off():  # the bars and stage lines say what runs
                result = run_demo(output, settings, on_progress=on_progress)
            bar.update(overall, completed=len(STAGES), description="done")
        if plain and current["stage"] is not None:
            info(f"  {current['stage']} done in {time.perf_counter() - current['t0']:.1f} s")
        summary = result.summary
        if not STATE["quiet"]:
            console.print(scores_table(summary))
            console.print(edges_table(summary))
            console.print(bias_table(summary))
            console.print(reading(summary))
            megc = summary.get("megc") or {}
            if megc:
                coarse = megc["classes"].get("coarse", {})
                console.print(f"MEGC questions on corpus B: {megc['questions']} answered from the predictions "
                              f"({megc['answers']}); coarse class UF1 {coarse.get('uf1', 0.0):.3f}, BLEU "
                              f"{megc['bleu'] or 0.0:.3f}, ROUGE-1 F {megc['rouge1_f'] or 0.0:.3f}", highlight=False)
        n_plots = len(summary["plots"]["timelines"]) + 2
        info(f"wrote {output}/ ({n_plots} plots and summary.md in {output / 'report'}) in "
             f"{time.perf_counter() - start:.0f} s")
