"""The causalex spotter as a backend of the bias study: fit on labelled series with a graph, predict.

`ModelBackend.fit` trains one `causalex.model.SpottingNet` on the given subjects: inner-validation
subjects are drawn from them (`causalex.train.protocols.final_fold`), the epoch and the decoding
thresholds are chosen there, duration bounds are fitted on the training labels. It returns a
`causalex.checkpoint.ModelBundle`.

`ModelBackend.predict` spots intervals with a bundle. *Removing an AU* at test time means: its node
features are zeroed for every frame (level, detrended and velocity = 0, i.e. the AU sits at its video
median and never moves, and the valid flag = 0, as for an untracked face) and its row and column of
the graph adjacency are cut, so no message flows from or to it. The node itself stays (the model has
a fixed node count); its learned identity embedding is all that is left of it.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from causalex.checkpoint import ModelBundle
from causalex.errors import input_error
from causalex.graph import AUGraph
from causalex.labels import Interval, group_by_video
from causalex.model.dynamic_graph import discover_adjacency
from causalex.model.inference import predict_frame_scores
from causalex.series import AUSeries
from causalex.spot.scoring import decode_scores
from causalex.train.config import ExperimentConfig
from causalex.train.dataset import PreparedVideo, prepare_video
from causalex.train.inputs import label_counts
from causalex.train.fit import fit_model
from causalex.train.loop import resolve_device
from causalex.train.protocols import final_fold

log = logging.getLogger(__name__)


def load_experiment_config(path: str | os.PathLike | None = None, epochs: int | None = None) -> ExperimentConfig:
    """Default training settings, with JSON overrides from ``path`` and an epoch count.

    Raises:
        InputError: unreadable file or unknown section/field.
    """
    cfg = ExperimentConfig()
    if path is not None:
        try:
            overrides = json.loads(Path(path).read_text(encoding="utf-8"))
            cfg = cfg.merged(overrides)
        except FileNotFoundError:
            raise input_error(path, "config file does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise input_error(path, f"not a JSON file ({exc})") from None
        except (ValueError, TypeError, AttributeError) as exc:
            raise input_error(path, f"invalid training config ({exc})") from None
    if epochs is not None:
        cfg.optim.epochs = int(epochs)
    return cfg


class ModelBackend:
    """Trains and applies causalex spotters for `causalex.bias.run_bias_study`.

    Args:
        config: training settings (`load_experiment_config`). ``config.optim.threads > 0`` sets torch's
            CPU thread count (process-wide) for training and prediction alike.
        device: ``auto``, ``cpu`` or ``cuda``.
    """

    def __init__(self, config: ExperimentConfig | None = None, device: str = "auto") -> None:
        self.config = config or ExperimentConfig()
        self.device = resolve_device(device)
        if self.config.optim.threads > 0:
            torch.set_num_threads(self.config.optim.threads)
        self._prepared: dict[tuple[int, tuple[str, ...]], tuple[AUSeries, PreparedVideo]] = {}
        self._models: dict[int, tuple[ModelBundle, torch.nn.Module]] = {}

    def _prepare(self, series: AUSeries, au_names: list[str], labels: list[Interval] | None) -> PreparedVideo:
        """Features of one video, cached per series object and AU list (labels are added when given)."""
        key = (id(series), tuple(au_names))
        cached = self._prepared.get(key)
        if cached is None or (labels is not None and cached[1].spot_targets is None):
            cfg = self.config
            video = prepare_video(series, au_names, cfg.data, cfg.features, labels, cfg.model.emotion_classes)
            self._prepared[key] = (series, video)  # keep the series alive so that its id stays unique
            return video
        return cached[1]

    def fit(self, series: list[AUSeries], labels: list[Interval], graph: AUGraph, seed: int) -> ModelBundle:
        """Train one model on ``series`` (inner validation drawn from their subjects) with ``graph``.

        Returns:
            The trained `ModelBundle` (decoding thresholds chosen on the inner validation).
        """
        cfg = self.config
        au_names = list(graph.nodes)
        subject_of = {s.video: s.subject for s in series}
        fold = final_fold(sorted(set(subject_of.values())), label_counts(labels, subject_of), cfg.protocol, seed)
        by_video = group_by_video(labels)
        videos = [self._prepare(s, au_names, by_video.get(s.video, [])) for s in series]
        train = [v for v in videos if v.subject in set(fold.train_subjects)]
        val = [v for v in videos if v.subject in set(fold.val_subjects)]
        fitted = fit_model(train, val, graph.adjacency_for(au_names), au_names, cfg, self.device, seed,
                           node_mask=graph.node_mask(au_names),
                           durations_from=videos)
        result, decode = fitted.result, fitted.decode
        log.debug("fit %s seed %d on %d videos (%d validation): epoch %d, val F1 %s", graph.name, seed, len(train),
                  len(val), result.best_epoch, result.val_f1)
        return ModelBundle(config=cfg, au_names=au_names, graph=graph, working_fps=cfg.data.working_fps,
                           decode=decode, state_dict=result.state_dict,
                           meta={"seed": seed, "best_epoch": result.best_epoch, "val_f1": result.val_f1,
                                 "trained_on": fold.train_subjects, "validated_on": fold.val_subjects,
                                 "scale": AUSeries.common_scale(series)})

    def _network(self, bundle: ModelBundle) -> torch.nn.Module:
        cached = self._models.get(id(bundle))
        if cached is None or cached[0] is not bundle:
            cached = (bundle, bundle.build_model(self.device))
            self._models = {id(bundle): cached}  # one model at a time: predictions come grouped by model
        return cached[1]

    def predict(self, model: ModelBundle, series: list[AUSeries], removed_aus: Sequence[str] = ()) -> list[Interval]:
        """Spot intervals in ``series`` with a trained bundle, optionally with AUs removed (see module doc).

        Raises:
            InputError: a removed AU that is not a node of the model, or a series lacking a model AU.
        """
        bundle = model
        missing = [a for a in removed_aus if a not in bundle.au_names]
        if missing:
            raise input_error(None, f"cannot remove {', '.join(missing)}: not an AU of the model")
        net = self._network(bundle)
        idx = [bundle.au_names.index(a) for a in removed_aus]
        cfg = bundle.config
        out: list[Interval] = []
        for s in series:
            video = self._prepare(s, bundle.au_names, None)
            feats = video.features
            adjacency = None
            if idx or cfg.model.dynamic:
                feats = feats.copy()
                feats[:, idx, :] = 0.0  # [T, K, F]: removed nodes carry nothing
                if cfg.model.dynamic:
                    adjacency = discover_adjacency(torch.from_numpy(feats[None]), bundle.au_names, cfg.model)
                else:
                    adjacency = net.adjacency.detach().clone()
                adjacency[idx, :] = 0.0
                adjacency[:, idx] = 0.0
            scores = predict_frame_scores(net, np.ascontiguousarray(feats), self.device, adjacency=adjacency,
                                          amp=cfg.optim.amp)
            out.extend(decode_scores(scores, video, bundle.decode, cfg.model.emotion_classes))
        return out

    def score_curves(self, model: ModelBundle, series: AUSeries) -> dict[str, np.ndarray]:
        """The model's per-frame ``inside`` probability of each type, in the series' own frames (for plots).

        Shapes:
            returns ``{"macro": [T], "micro": [T]}`` with T = ``series.n_frames``.
        """
        from causalex.resample import frame_centres_at
        from causalex.spot.spotter import ModelSpotter

        _, track = ModelSpotter(model, self.device).spot_one(series)
        curves = {kind: track.curves[f"{kind}_inside"] for kind in ("macro", "micro")}
        at = frame_centres_at(series.n_frames, series.fps, track.fps, len(curves["macro"]))
        return {kind: curve[at] for kind, curve in curves.items()}
