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
from causalex.series import SERIES_SUFFIX, AUSeries
from causalex.simulate.mechanism import MechanismSpec, true_graph
from causalex.simulate.plan import draw_subjects, plan_corpus
from causalex.simulate.presets import BiasSpec, SimPreset, get_preset
from causalex.simulate.random_mechanism import resolve_mechanism
from causalex.simulate.signals import synthesize_video

log = logging.getLogger(__name__)

SUMMARY_FILE = "corpus.json"
LABELS_FILE = "labels.csv"
GRAPH_FILE = "true_graph.json"
_VIDEO_SUFFIXES = (".csv", SERIES_SUFFIX)  # AU series as OpenFace CSVs, region series as series files


@dataclass
class SimulatedCorpus:
    """A simulated corpus in memory.

    Attributes:
        series: one `AUSeries` per video (``values: [T, 17]``, OpenFace scale).
        labels: every expression, sorted by video and onset.
        true_graph: the true lagged AU mechanism (``-->`` kept) and the bias and speech latents (``<->`` dropped).
        summary: counts, durations, fps, masked fraction, bias, mechanism, speech and the preset's targets.
        preset: the preset (with overrides and the mechanism used applied) that made it.
    """

    series: list[AUSeries]
    labels: list[Interval]
    true_graph: AUGraph
    summary: dict[str, Any]
    preset: SimPreset


def generate_corpus(preset: str = "small", bias: float | BiasSpec | None = None, seed: int = 0,
                    on_video: Callable[[int, int], None] | None = None, mechanism: str | MechanismSpec = "default",
                    mechanism_seed: int | None = None, **overrides: Any) -> SimulatedCorpus:
    """Simulate a biased corpus with a known AU causal mechanism.

    Args:
        preset: preset name (see `PRESETS`: ``tiny``, ``small``, ``demo``, ``casme2``, ``samm``,
            ``family-a``/``-b``/``-c``/``-hf``, ``sparse``).
        bias: strength of the preset's bias latent (0 = none); None keeps the preset's default; a
            `BiasSpec` replaces the preset's bias (with its own strength).
        seed: random seed (>= 0); the same seed gives the same corpus.
        on_video: called as ``on_video(done, total)`` after each video (progress reporting).
        mechanism: ``"default"`` (the preset's own mechanism), ``"random"`` (a random mechanism drawn from
            ``mechanism_seed``, the same for every preset of one family) or a `MechanismSpec`.
        mechanism_seed: seed of the random mechanism (None: ``seed``).
        **overrides: preset fields to replace, e.g. ``n_videos=3``.

    Raises:
        InputError: unknown preset, field or mechanism; negative bias or seed; a bias on mechanism AUs
            that the preset does not allow.
    """
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed}")
    if isinstance(bias, BiasSpec):
        overrides, bias = {**overrides, "bias": bias}, None
    spec = get_preset(preset, **overrides)
    mech = resolve_mechanism(mechanism, spec, mechanism_seed, int(seed))
    if mech is not spec.mechanism:
        spec = get_preset(preset, **{**overrides, "mechanism": mech})
    strength = spec.bias.strength if bias is None else float(bias)
    if not (math.isfinite(strength) and strength >= 0):
        raise InputError(f"bias strength must be a number >= 0, got {bias}")
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
    speech = tuple(spec.speech_aus) if spec.speech_per_min > 0 else ()
    graph = true_graph(spec.bias.aus, strength, {"preset": spec.name, "seed": int(seed), "bias": summary["bias"],
                                                 "speech": summary["speech"]},
                       mechanism=spec.mechanism, speech_aus=speech, fps=spec.fps)
    log.info("simulated %d videos (%d frames), %d macro / %d micro", len(series), summary["frames"],
             summary["macro"], summary["micro"])
    return SimulatedCorpus(series=series, labels=labels, true_graph=graph, summary=summary, preset=spec)


def corpus_summary(series: list[AUSeries], labels: list[Interval], preset: SimPreset, bias_strength: float,
                   seed: int) -> dict[str, Any]:
    """Counts, durations (s), fps and masked fraction of a corpus, with the preset's targets, its bias (AUs,
    weights, per-AU delays), mechanism and speech latent (the truth, for scoring only)."""
    fps = {s.video: s.fps for s in series}
    frames = sum(s.n_frames for s in series)

    def mean_s(kind: str) -> float:
        d = [iv.length / fps[iv.video] for iv in labels if iv.type == kind]
        return round(float(np.mean(d)), 4) if d else 0.0

    durations = [s.duration_s for s in series]
    talking = preset.speech_per_min > 0
    return {
        "generator": f"causalex.simulate {causalex.__version__}",
        "preset": preset.name,
        "seed": seed,
        "bias": {"strength": bias_strength, "aus": list(preset.bias.aus), "weights": list(preset.bias.weights),
                 "story": preset.bias.story, "delays_s": list(preset.bias.delays()),
                 "on_mechanism": preset.bias.on_mechanism},
        "mechanism": preset.mechanism.to_json(),
        "speech": {"per_min": preset.speech_per_min, "aus": list(preset.speech_aus) if talking else [],
                   "weights": list(preset.speech_weights) if talking else []},
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

    AU series are written as OpenFace CSVs, region series (`causalex.simulate.regions`) as series files
    (``.parquet``). A folder holding an earlier simulated corpus is overwritten (its stale video files
    removed, in either format); a non-empty folder holding anything else is refused.

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
        suffix = ".csv" if s.node_kind == "au" else SERIES_SUFFIX
        if suffix == ".csv":
            write_openface_csv(s, out / f"{s.video}{suffix}")
        else:  # region flow (causalex.simulate.regions): series files, as `causalex extract --features roi` writes
            s.save(out / f"{s.video}{suffix}")
        for other in _VIDEO_SUFFIXES:  # an earlier corpus's file of this video in the other format
            stale = out / f"{s.video}{other}"
            if other != suffix and stale.is_file():
                stale.unlink()
        if on_file is not None:
            on_file(i + 1, len(corpus.series))
    write_labels_csv(out / LABELS_FILE, corpus.labels)
    corpus.true_graph.save(out / GRAPH_FILE)
    write_text_atomic(out / SUMMARY_FILE, json.dumps(corpus.summary, indent=2) + "\n")
    current = {s.video for s in corpus.series}
    for video in set(previous) - current:
        for suffix in _VIDEO_SUFFIXES:
            stale = out / f"{video}{suffix}"
            if stale.is_file():
                stale.unlink()
    log.info("wrote %d video files, %s, %s and %s to %s", len(corpus.series), LABELS_FILE, GRAPH_FILE,
             SUMMARY_FILE, out)
    return out


def simulate_corpus(out_dir: str | os.PathLike, preset: str = "small", bias: float | BiasSpec | None = None,
                    seed: int = 0, mechanism: str | MechanismSpec = "default",
                    mechanism_seed: int | None = None) -> dict[str, Any]:
    """Generate a corpus and write it to ``out_dir``; returns its summary (see `generate_corpus`)."""
    check_corpus_folder(out_dir)
    corpus = generate_corpus(preset, bias=bias, seed=seed, mechanism=mechanism, mechanism_seed=mechanism_seed)
    write_corpus(corpus, out_dir)
    return corpus.summary
