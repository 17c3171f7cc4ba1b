"""ME-TST's spot-then-recognise ("synergy") options: the emotion of an interval by a per-frame vote.

ME-TST's emotion head has the four MEGC emotions plus a *neutral* class; the emotion of a spotted interval
is the most common per-frame argmax over its interior frames, and its two synergy strategies are

- ``drop-neutral`` (the source's strategy 1, "recognition mainly"): the vote runs over neutral and the
  emotions; an interval voted neutral is dropped from the spotting result;
- ``emotion-argmax`` (strategy 2, "spotting mainly"): the vote runs over the emotions only (argmax with the
  neutral class left out); no interval is dropped.

Our emotion head (`causalex.model.outputs`) has no neutral class: it is trained on frames inside labelled
expressions only. Where the model's classes include one named ``neutral`` it is used as is; otherwise a
frame votes neutral when its inside probability (the type's inside channel) is below 0.5, and for the
argmax emotion otherwise (our adaptation: the spotting head decides expression vs neutral, the emotion
head which emotion). Interior frames are
``onset + 1 .. offset - 1`` (the source's slice drops one more frame at the end; intervals under 3
frames vote with all their frames); ties go to the emotion listed first, neutral last. The cost is
linear: per-class running counts, then two look-ups per interval.
"""

from __future__ import annotations

import numpy as np

SYNERGY_MODES = ("none", "drop-neutral", "emotion-argmax")


def frame_votes(emotion_probs: np.ndarray, inside: np.ndarray, classes: tuple[str, ...] | list[str],
                with_neutral: bool) -> tuple[np.ndarray, list[str]]:
    """Per-frame vote of the emotion head, and the names of the vote's classes (neutral last, when in).

    Shapes:
        emotion_probs: ``[T, C]``; inside: ``[T]``; returns ``[T]`` int64 indices into the names.
    """
    lowered = [str(c).lower() for c in classes]
    probs = np.asarray(emotion_probs, np.float64)
    if "neutral" in lowered:
        n = lowered.index("neutral")
        emotions = [i for i in range(len(classes)) if i != n]
        joint = np.concatenate([probs[:, emotions], probs[:, [n]]], axis=1)  # [T, C] neutral last
        names = [str(classes[i]) for i in emotions]
    else:
        names = [str(c) for c in classes]
        votes = np.argmax(probs, axis=1)
        if with_neutral:
            votes = np.where(np.asarray(inside, np.float64) < 0.5, len(names), votes)
        return votes, names + (["neutral"] if with_neutral else [])
    if not with_neutral:
        joint = joint[:, :-1]
    votes = np.argmax(joint, axis=1)
    return votes, names + (["neutral"] if with_neutral else [])


def vote_emotions(emotion_probs: np.ndarray, inside: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                  classes: tuple[str, ...] | list[str], mode: str) -> list[str | None]:
    """The voted emotion of every interval; None for an interval voted neutral (``drop-neutral``).

    Args:
        emotion_probs: emotion class probabilities of the frames.
        inside: the type's inside probability (neutral = ``1 - inside`` when no class is named neutral).
        starts, ends: inclusive interval bounds.
        classes: names of ``emotion_probs``' columns.
        mode: ``drop-neutral`` or ``emotion-argmax`` (module docstring).

    Raises:
        ValueError: unknown mode.

    Shapes:
        emotion_probs: ``[T, C]``; inside: ``[T]``; starts, ends: ``[N]``.
    """
    if mode not in SYNERGY_MODES[1:]:
        raise ValueError(f"unknown synergy vote {mode!r}; valid: {', '.join(SYNERGY_MODES[1:])}")
    with_neutral = mode == "drop-neutral"
    votes, names = frame_votes(emotion_probs, inside, classes, with_neutral)
    onehot = np.zeros((votes.size + 1, len(names)), np.int64)
    onehot[np.arange(1, votes.size + 1), votes] = 1
    counts = np.cumsum(onehot, axis=0)  # [T + 1, V] votes of frames < t
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    interior = ends - starts >= 2
    lo = np.where(interior, starts + 1, starts)
    hi = np.where(interior, ends - 1, ends)
    per_interval = counts[hi + 1] - counts[lo]  # [N, V]
    winners = np.argmax(per_interval, axis=1)
    neutral = len(names) - 1 if with_neutral else -1
    return [None if int(w) == neutral else names[int(w)] for w in winners]
