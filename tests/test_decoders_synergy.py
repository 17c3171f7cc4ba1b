"""ME-TST's spot-then-recognise options: per-frame emotion votes, neutral intervals dropped or not."""

import numpy as np
import pytest

from causalex.model.outputs import MEGC_EMOTIONS, SPOT_CHANNELS, channel_index
from causalex.spot.decoding import DecodeConfig, TypeDecodeConfig, decode_video
from causalex.spot.synergy import vote_emotions

CLASSES = tuple(MEGC_EMOTIONS)  # negative, positive, surprise, others


def emotion_track(n: int, spans: dict[str, tuple[int, int]], high: float = 0.7) -> np.ndarray:
    """``[n, 4]`` class probabilities: ``high`` for the class of each span, the rest shared."""
    probs = np.full((n, len(CLASSES)), 0.25)
    for name, (s, e) in spans.items():
        probs[s:e + 1] = (1 - high) / (len(CLASSES) - 1)
        probs[s:e + 1, CLASSES.index(name)] = high
    return probs


def test_votes_over_interior_frames_neutral_from_the_inside_score():
    # frames 0..19: inside 0.9 on 2..7, 0.2 elsewhere; positive on 2..7, surprise on 12..17
    inside = np.full(20, 0.2)
    inside[2:8] = 0.9
    emotions = emotion_track(20, {"positive": (2, 7), "surprise": (12, 17)})
    starts, ends = np.array([2, 12]), np.array([7, 17])
    # inside >= 0.5 on 3..6: the emotion head's argmax votes; inside 0.2 on 13..16: neutral
    assert vote_emotions(emotions, inside, starts, ends, CLASSES, "drop-neutral") == ["positive", None]
    assert vote_emotions(emotions, inside, starts, ends, CLASSES, "emotion-argmax") == ["positive", "surprise"]
    with pytest.raises(ValueError, match="valid: drop-neutral, emotion-argmax"):
        vote_emotions(emotions, inside, starts, ends, CLASSES, "none")


def test_the_vote_is_the_most_common_frame_not_the_mean():
    # interior frames 1..5: three weakly negative frames beat two strongly positive ones
    emotions = np.full((7, 4), 0.1)
    emotions[1:4, 0] = 0.4
    emotions[1:4, 1] = 0.35
    emotions[4:6, 1] = 0.97
    inside = np.ones(7)
    assert vote_emotions(emotions, inside, np.array([0]), np.array([6]), CLASSES, "emotion-argmax") == ["negative"]
    assert CLASSES[int(np.argmax(emotions[0:7].mean(0)))] == "positive"  # what synergy "none" takes


def test_a_class_named_neutral_is_used_as_is():
    classes = ("happy", "neutral", "sad")
    emotions = np.tile([0.2, 0.5, 0.3], (6, 1))
    inside = np.ones(6)  # ignored: the head has its own neutral class
    starts, ends = np.array([0]), np.array([5])
    assert vote_emotions(emotions, inside, starts, ends, classes, "drop-neutral") == [None]
    assert vote_emotions(emotions, inside, starts, ends, classes, "emotion-argmax") == ["sad"]


def test_decode_video_drops_intervals_voted_neutral():
    n = 40
    probs = np.zeros((n, len(SPOT_CHANNELS)))
    inside = probs[:, channel_index("micro", "inside")]
    inside[:] = 0.05
    inside[8:13] = [0.3, 0.9, 1.0, 0.9, 0.3]  # a confident expression around 10
    inside[28:33] = [0.4, 0.45, 0.45, 0.45, 0.4]  # an unsure one around 30 (inside < 0.5): voted neutral
    emotions = emotion_track(n, {"negative": (6, 14), "surprise": (26, 34)})
    micro = TypeDecodeConfig(0.1, 0.5, 0.3, threshold=0.0, mean_duration_s=0.5)
    plain = decode_video(probs, emotions, 10.0, "v", DecodeConfig(micro=micro, decoder="me-tst", relative_p=0.3),
                         CLASSES)
    assert [(iv.apex, iv.emotion) for iv in plain] == [(10, "negative"), (30, "surprise")]
    dropped = decode_video(probs, emotions, 10.0, "v", DecodeConfig(micro=micro, decoder="me-tst", relative_p=0.3,
                                                                    synergy="drop-neutral"), CLASSES)
    assert [(iv.apex, iv.emotion) for iv in dropped] == [(10, "negative")]
    kept = decode_video(probs, emotions, 10.0, "v", DecodeConfig(micro=micro, decoder="me-tst", relative_p=0.3,
                                                                 synergy="emotion-argmax"), CLASSES)
    assert [(iv.apex, iv.emotion) for iv in kept] == [(10, "negative"), (30, "surprise")]
