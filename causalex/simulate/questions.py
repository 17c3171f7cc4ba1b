"""ME-VQA / ME-LVQA question files with true answers, written from a simulated corpus.

The simulator knows, for every expression, the root AUs its emotion pattern drove; the AUs it *shows* are
those whose drive, spread along the mechanism's edges (``drive(effect) += weight * drive(cause)``, edges in
topological order), reaches `SHOWN_DRIVE` (or, when none does, the most driven one). The corpus keeps only the labels, so the expressions' roots are
recovered by re-running the corpus plan (`draw_subjects`, `plan_corpus`) from the same seed and checked
against the labels.

Per video the file asks the ME-LVQA questions (how many expressions / micro / macro, the distinct AUs, the
type of the first three expressions); per expression, with the expression's ``onset`` / ``offset`` as the
clip, the ME-VQA questions (coarse class, fine class, the AUs, is an AU shown (one shown, one not), the
chained answer). The simulator's emotions are the coarse classes; its fine class is the one
`causalex.megc.facs.fine_from_aus` gives for the true AUs (a convention of this file, not a dataset's).
"""

from __future__ import annotations

import json
import os

import numpy as np

from causalex.errors import InputError
from causalex.fileio import write_text_atomic
from causalex.labels import Interval
from causalex.megc.answer import TYPE_WORDS, chained_text
from causalex.megc.evidence import Event
from causalex.megc.facs import au_list_text, au_name, fine_from_aus
from causalex.simulate.plan import draw_subjects, plan_corpus
from causalex.simulate.presets import SimPreset

SHOWN_DRIVE = 0.5  # an AU is shown when its drive (root weight spread along the mechanism) reaches this
QUESTIONS_FILE = "questions.jsonl"


def shown_aus(roots: dict[str, float], preset: SimPreset) -> frozenset[str]:
    """AUs an expression shows: its roots' drive spread along ``preset.mechanism``'s edges, kept at
    `SHOWN_DRIVE` or more (at least the most driven one: a weak expression still moves its main AU)."""
    drive = dict(roots)
    for edge in preset.mechanism.edges:
        if drive.get(edge.cause):
            drive[edge.effect] = drive.get(edge.effect, 0.0) + edge.weight * drive[edge.cause]
    shown = frozenset(au for au, d in drive.items() if d >= SHOWN_DRIVE)
    return shown or frozenset({max(drive, key=drive.get)}) if drive else shown


def expression_aus(preset: SimPreset, seed: int, labels: list[Interval]) -> list[frozenset[str]]:
    """The AUs each labelled expression shows, in the order of ``labels`` (as `generate_corpus` made them).

    Args:
        preset: the corpus's resolved preset (``SimulatedCorpus.preset``).
        seed: the corpus's seed.
        labels: the corpus's labels (``SimulatedCorpus.labels``).

    Raises:
        InputError: the re-run plan does not give these labels (the corpus was made another way).
    """
    plan_seed, _ = np.random.SeedSequence(int(seed)).spawn(2)
    rng = np.random.default_rng(plan_seed)
    plans = plan_corpus(preset, draw_subjects(preset, rng), rng)
    planned = [e for p in plans for e in p.expressions]
    if [e.interval for e in planned] != list(labels):
        raise InputError(f"the corpus plan of preset {preset.name!r}, seed {seed} does not give these labels; "
                         "questions can only be written for a corpus generate_corpus made")
    return [shown_aus(e.roots, preset) for e in planned]


def _row(qid: str, iv: Interval, question: str, answer: str, clip: bool) -> dict:
    row = {"id": qid, "dataset": "simulated", "video": iv.video, "subject": iv.subject, "question": question,
           "answer": answer}
    if clip:
        row.update(onset=iv.onset, offset=iv.offset)
    return row


def corpus_questions(labels: list[Interval], aus: list[frozenset[str]], au_names: list[str], seed: int,
                     videos: dict[str, str] | None = None) -> list[dict]:
    """Question rows with true answers (see the module text).

    Args:
        labels: the expressions, sorted by video and onset.
        aus: the AUs each expression shows (`expression_aus`).
        au_names: the corpus's AUs (the not-shown AU of "is AU X shown" is drawn from them).
        seed: seeds the choice of the AUs asked about.
        videos: every video -> subject (videos without expressions get the counting questions too).
    """
    rng = np.random.default_rng([int(seed), 22])
    by_video: dict[str, list[tuple[Interval, frozenset[str]]]] = {}
    for video, subject in (videos or {}).items():
        by_video.setdefault(video, [])
    for iv, shown in zip(labels, aus):
        by_video.setdefault(iv.video, []).append((iv, shown))
    rows: list[dict] = []
    for video in sorted(by_video):
        items = sorted(by_video[video], key=lambda x: x[0].onset)
        anchor = items[0][0] if items else Interval(video, 0, 0, 0, "micro", subject=(videos or {}).get(video, ""))
        n = 0

        def add(iv: Interval, question: str, answer: str, clip: bool = False) -> None:
            nonlocal n
            n += 1
            rows.append(_row(f"sim_{video}_{n}", iv, question, answer, clip))

        add(anchor, "How many expressions appear in the video?", str(len(items)))
        add(anchor, "How many micro-expressions appear in the video?", str(sum(iv.type == "micro" for iv, _ in items)))
        add(anchor, "How many macro-expressions appear in the video?", str(sum(iv.type == "macro" for iv, _ in items)))
        union = frozenset().union(*(a for _, a in items)) if items else frozenset()
        add(anchor, "What are the distinct action units that appear in the video?", au_list_text(sorted(union)) or "none")
        for k, (iv, _) in enumerate(items[:3], start=1):
            add(anchor, f"What is the expression type of the {('first', 'second', 'third')[k - 1]} expression?",
                TYPE_WORDS[iv.type])
        for iv, shown in items:
            fine = fine_from_aus(iv.emotion, shown)
            event = Event(iv.onset, iv.offset, iv.type, iv.emotion, fine, shown)
            add(iv, "What is the coarse expression class?", iv.emotion, True)
            add(iv, "What is the fine-grained expression class?", fine, True)
            add(iv, "What are the action units?", au_list_text(sorted(shown)), True)
            yes = sorted(shown)[int(rng.integers(len(shown)))]
            add(iv, f"Is the action unit {au_name(yes)} shown on the face?", "yes", True)
            others = [a for a in au_names if a not in shown]
            if others:
                no = others[int(rng.integers(len(others)))]
                add(iv, f"Is the action unit {au_name(no)} shown on the face?", "no", True)
            add(iv, "What are the action units present, and based on them, what is the fine-grained expression "
                    "and the coarse expression class?", chained_text(event), True)
    return rows


def write_questions(path: str | os.PathLike, rows: list[dict]) -> None:
    """Write question rows as JSONL (atomic)."""
    write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in rows))


def write_corpus_questions(corpus, seed: int, path: str | os.PathLike) -> int:
    """Write the question file of a `SimulatedCorpus` made with ``seed``; returns the number of questions."""
    aus = expression_aus(corpus.preset, seed, corpus.labels)
    videos = {s.video: s.subject for s in corpus.series}
    rows = corpus_questions(corpus.labels, aus, list(corpus.series[0].au_names) if corpus.series else [], seed, videos)
    write_questions(path, rows)
    return len(rows)
