"""Layout of the model's per-frame outputs and the emotion classes.

The spotting head predicts, per frame, one logit per (expression type, kind) pair, in the order of
`SPOT_CHANNELS`: ``macro_onset, macro_offset, macro_apex, macro_inside, micro_onset, ...``.
The emotion head predicts one logit per emotion class (MEGC: negative, positive, surprise, others).
"""

from __future__ import annotations

from causalex.labels import EXPRESSION_TYPES, MEGC_EMOTIONS, to_megc_emotion  # noqa: F401 (MEGC_EMOTIONS re-exported)

SPOT_KINDS = ("onset", "offset", "apex", "inside")
SPOT_CHANNELS = tuple(f"{t}_{k}" for t in EXPRESSION_TYPES for k in SPOT_KINDS)


def channel_index(expression_type: str, kind: str) -> int:
    """Index of ``<type>_<kind>`` in `SPOT_CHANNELS`.

    Raises:
        ValueError: unknown type or kind (the message lists the valid ones).
    """
    name = f"{expression_type}_{kind}"
    if name not in SPOT_CHANNELS:
        raise ValueError(f"unknown output channel {name!r}; valid: {', '.join(SPOT_CHANNELS)}")
    return SPOT_CHANNELS.index(name)


def emotion_index(emotion: str, classes: tuple[str, ...] | list[str],
                  aliases: dict[str, str] | None = None) -> int:
    """Class index of a label's emotion word, or -1 when it is empty or maps to no class.

    Args:
        emotion: the emotion text of a label (case-insensitive).
        classes: the model's emotion classes.
        aliases: word -> class name (default: `causalex.labels.to_megc_emotion`, the dataset words of
            CAS(ME)^2, SAMM and CAS(ME)^3, ``disgust/fear`` included); a word that is itself a class name
            maps to that class.
    """
    word = emotion.strip().lower()
    if not word:
        return -1
    lowered = [c.lower() for c in classes]
    if word in lowered:
        return lowered.index(word)
    target = to_megc_emotion(word) if aliases is None else aliases.get(word)
    if target is not None and target.lower() in lowered:
        return lowered.index(target.lower())
    if "others" in lowered:
        return lowered.index("others")
    return -1
