"""Generate a simulated corpus in memory, write it to a folder, and summarise it.

Folder layout written by `write_corpus`:
``<video>.csv`` (OpenFace 2.x, one per video), ``labels.csv`` (generic labels with subject and
emotion), ``true_graph.json`` (the true AU mechanism as an `AUGraph`) and ``corpus.json`` (summary).
The same seed gives the same bytes.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

import causalex
from causalex.errors import InputError, input_error
from causalex.fileio import write_text_atomic
from causalex.graph import AUGraph
from causalex.labels import Interval, write_labels_csv
from causalex.readers.openface import write_openface_csv
from causalex.series import AUSeries
from causalex.simulate.mechanism import true_graph
from causalex.simulate.plan import draw_subjects, plan_corpus
from causalex.simulate.presets import SimPreset, get_preset
from causalex.simulate.signals import synthesize_video

log = logging.getLogger(__name__)

SUMMARY_FILE = "corpus.json"
LABELS_FILE = "labels.csv"
GRAPH_FILE = "true_graph.json"


@dataclass
class SimulatedCorpus:
    """A simulated corpus in memory.

    Attributes:
        series: one `AUSeries` per video (``values: [T, 17]``, OpenFace scale).
        labels: every expression, sorted by video and onset.
        true_graph: the true lagged AU mechanism (``-->`` kept) and the bias latent (``<->`` dropped).
        summary: counts, durations, fps, masked fraction, bias and the preset's targets.
        preset: the preset (with overrides applied) that made it.
    """

    series: list[AUSeries]
    labels: list[Interval]
    true_graph: AUGraph
    summary: dict[str, Any]
    preset: SimPreset


def generate_corpus(preset: str = "small", bias: float | None = None, seed: int = 0,
                    on_video: Callable[[int, int], None] | None = None, **overrides: Any) -> SimulatedCorpus:
    """Simulate a biased corpus with a known AU causal mechanism.

    Args:
        preset: preset name (``tiny``, ``small``, ``casme2``, ``samm``).
        bias: strength of the preset's bias latent (0 = none); None keeps the preset's default.
        seed: random seed (>= 0); the same seed gives the same corpus.
        on_video: called as ``on_video(done, total)`` after each video (progress reporting).
        **overrides: preset fields to replace, e.g. ``n_videos=3``.

    Raises:
        InputError: unknown preset or field, negative bias or seed.
    """
    spec = get_preset(preset, **overrides)
    strength = spec.bias.strength if bias is None else float(bias)
    if not (math.isfinite(strength) and strength >= 0):
        raise InputError(f"bias strength must be a number >= 0, got {bias}")
    if int(seed) != seed or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed}")
    plan_seed, video_seed = np.random.SeedSequence(int(seed)).spawn(2)
    plan_rng = np.random.default_rng(plan_seed)
    subjects = draw_subjects(spec, plan_rng)
    plans = plan_corpus(spec, subjects, plan_rng)
    traits = {t.subject: t for t in subjects}
    series = []
    for i, (plan, vseed) in enumerate(zip(plans, video_seed.spawn(len(plans)))):
        series.append(synthesize_video(plan, traits[plan.subject], spec, strength, vseed))
        if on_video is not None:
            on_video(i + 1, len(plans))
    labels = [e.interval for p in plans for e in p.expressions]
    summary = corpus_summary(series, labels, spec, strength, int(seed))
    graph = true_graph(spec.bias.aus, strength, {"preset": spec.name, "seed": int(seed),
                                                 "bias": summary["bias"]})
    log.info("simulated %d videos (%d frames), %d macro / %d micro", len(series), summary["frames"],
             summary["macro"], summary["micro"])
    return SimulatedCorpus(series=series, labels=labels, true_graph=graph, summary=summary, preset=spec)


def corpus_summary(series: list[AUSeries], labels: list[Interval], preset: SimPreset, bias_strength: float,
                   seed: int) -> dict[str, Any]:
    """Counts, durations (s), fps and masked fraction of a corpus, with the preset's targets."""
    fps = {s.video: s.fps for s in series}
    frames = sum(s.n_frames for s in series)

    def mean_s(kind: str) -> float:
        d = [iv.length / fps[iv.video] for iv in labels if iv.type == kind]
        return round(float(np.mean(d)), 4) if d else 0.0

    durations = [s.duration_s for s in series]
    return {
        "generator": f"causalex.simulate {causalex.__version__}",
        "preset": preset.name,
        "seed": seed,
        "bias": {"strength": bias_strength, "aus": list(preset.bias.aus), "weights": list(preset.bias.weights),
                 "story": preset.bias.story},
        "subjects": len({s.subject for s in series}),
        "videos": len(series),
        "fps": float(np.mean(list(fps.values()))) if series else 0.0,
        "frames": frames,
        "video_mean_s": round(float(np.mean(durations)), 3) if series else 0.0,
        "video_min_s": round(float(np.min(durations)), 3) if series else 0.0,
        "video_max_s": round(float(np.max(durations)), 3) if series else 0.0,
        "macro": sum(iv.type == "macro" for iv in labels),
        "micro": sum(iv.type == "micro" for iv in labels),
        "macro_mean_s": mean_s("macro"),
        "micro_mean_s": mean_s("micro"),
        "emotions": dict(sorted(Counter(iv.emotion for iv in labels).items())),
        "masked_fraction": round(sum(int((~s.mask).sum()) for s in series) / max(frames, 1), 5),
        "targets": preset.targets(),
        "video_ids": [s.video for s in series],
    }


def check_corpus_folder(out_dir: str | os.PathLike) -> list[str]:
    """Video ids of a previous corpus in ``out_dir`` (to replace); refuse a file or a folder holding anything
    else (callers check before simulating, so that a refused folder costs no work).

    Raises:
        InputError: ``out_dir`` is a file, or a non-empty folder that holds no simulated corpus.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise input_error(out, "output path exists and is not a folder")
    if not out.exists() or not any(p for p in out.iterdir() if not p.name.startswith(".")):
        return []
    summary = out / SUMMARY_FILE
    if not summary.is_file():
        raise input_error(out, f"output folder is not empty and holds no simulated corpus ({SUMMARY_FILE}); "
                               "choose an empty or new folder")
    try:
        return list(json.loads(summary.read_text(encoding="utf-8")).get("video_ids", []))
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise input_error(summary, f"unreadable corpus summary ({exc}); remove the folder first") from exc


def write_corpus(corpus: SimulatedCorpus, out_dir: str | os.PathLike,
                 on_file: Callable[[int, int], None] | None = None) -> Path:
    """Write a corpus to ``out_dir`` (every file atomically; ``corpus.json`` last).

    A folder holding an earlier simulated corpus is overwritten (its stale video files removed);
    a non-empty folder holding anything else is refused.

    Args:
        corpus: from `generate_corpus`.
        out_dir: destination folder (created if missing).
        on_file: called as ``on_file(done, total)`` after each video file.

    Raises:
        InputError: the folder is not writable, or is not empty and not a simulated corpus.
    """
    out = Path(out_dir)
    previous = check_corpus_folder(out)
    for i, s in enumerate(corpus.series):
        write_openface_csv(s, out / f"{s.video}.csv")
        if on_file is not None:
            on_file(i + 1, len(corpus.series))
    write_labels_csv(out / LABELS_FILE, corpus.labels)
    corpus.true_graph.save(out / GRAPH_FILE)
    write_text_atomic(out / SUMMARY_FILE, json.dumps(corpus.summary, indent=2) + "\n")
    current = {s.video for s in corpus.series}
    for video in previous:
        stale = out / f"{video}.csv"
        if video not in current and stale.is_file():
            stale.unlink()
    log.info("wrote %d video files, %s, %s and %s to %s", len(corpus.series), LABELS_FILE, GRAPH_FILE,
             SUMMARY_FILE, out)
    return out


def simulate_corpus(out_dir: str | os.PathLike, preset: str = "small", bias: float | None = None,
                    seed: int = 0) -> dict[str, Any]:
    """Generate a corpus and write it to ``out_dir``; returns its summary (see `generate_corpus`)."""
    check_corpus_folder(out_dir)
    corpus = generate_corpus(preset, bias=bias, seed=seed)
    write_corpus(corpus, out_dir)
    return corpus.summary
