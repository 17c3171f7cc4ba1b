"""`fit_model`: one trained spotter from training and inner-validation videos, ready to decode.

Both the cross-validation of `causalex.train.experiment` and the bias study's backend call it, so a
fold model and a bias-study model are trained and selected the same way: decoding duration bounds
from the labels of the videos it may see, weights by `causalex.train.loop.train_model`, and the epoch
and the per-type score thresholds chosen on the validation videos.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import torch

from causalex.spot.decoding import DecodeConfig, record_durations
from causalex.train.config import ExperimentConfig
from causalex.train.dataset import PreparedVideo
from causalex.train.loop import TrainResult, train_model
from causalex.train.selection import fit_durations, label_rates


@dataclass
class FittedModel:
    """A trained model's weights and selection, and the decoding settings that go with them.

    Attributes:
        result: weights of the selected epoch, the epoch, validation F1 and history.
        decode: decoding settings: durations fitted on the training labels (bounds, and the mean and median
            that the peak decoders' k_p comes from), thresholds from validation.
    """

    result: TrainResult
    decode: DecodeConfig


def fit_model(train_videos: list[PreparedVideo], val_videos: list[PreparedVideo], adjacency: np.ndarray,
              node_names: list[str], config: ExperimentConfig, device: torch.device, seed: int, *,
              on_epoch: Callable[[dict[str, Any]], None] | None = None,
              state_path: str | os.PathLike | None = None,
              durations_from: list[PreparedVideo] | None = None,
              node_mask: np.ndarray | None = None, stop_epoch: int | None = None) -> FittedModel:
    """Train one spotter and make its decoding settings.

    Args:
        train_videos: labelled videos the weights are fitted on.
        val_videos: labelled inner-validation videos (epoch and thresholds are chosen there; never test
            videos unless the caller runs the explicitly optimistic protocol).
        adjacency: ``[K, K]`` AU graph.
        node_names: the K AU names.
        config: the experiment settings.
        device: where to train.
        seed: seeds the weights and the window draws.
        on_epoch: called after every epoch with the epoch's record.
        state_path: resumable training state (see `train_model`).
        durations_from: videos whose labels set the decoding duration bounds (default: training and
            validation videos; the optimistic protocol leaves its test videos out).
        node_mask: ``[K]`` 1 for AUs the model may use (the graph's AU selection), default all.
        stop_epoch: without validation videos, the epoch whose weights are kept (see `train_model`).

    The threshold choice's rate fallback uses the label rate of ``train_videos`` only.
    """
    seen = train_videos + val_videos if durations_from is None else durations_from
    seen_labels, fps_of = [iv for v in seen for iv in v.labels], {v.video: v.source_fps for v in seen}
    decode = record_durations(fit_durations(seen_labels, fps_of, config.decode), seen_labels, fps_of)
    result = train_model(train_videos, val_videos, adjacency, node_names, config, decode, device, seed,
                         on_epoch=on_epoch, state_path=state_path, node_mask=node_mask,
                         rates=label_rates(train_videos), stop_epoch=stop_epoch)
    for kind, thr in result.thresholds.items():
        setattr(decode, kind, replace(decode.for_type(kind), threshold=float(thr)))
    return FittedModel(result=result, decode=decode)
