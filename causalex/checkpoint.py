"""Model checkpoints: written atomically, self-describing, checked on load.

A checkpoint (``model.pt``) holds the experiment config (with the named recipe it started from, if any),
the AU list, the AU graph, the working frame
rate, the decoding settings chosen on validation, the weights, the library versions and training notes.
`load_checkpoint` refuses, with one clear line, a file that is not a causalex model, a newer format, a
different major version of causalex or torch, a graph whose nodes are not the AU list, and weights that
do not fit the model the config describes. Only tensors and plain Python values are stored, so files load
with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

import causalex
from causalex.errors import input_error, require_file
from causalex.fileio import atomic_write
from causalex.graph import AUGraph, GraphEdge
from causalex.graph_doc import check_graph_doc
from causalex.model.network import SpottingNet, build_model
from causalex.spot.decoding import DecodeConfig
from causalex.train.config import ExperimentConfig

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "causalex.model"
CHECKPOINT_VERSION = 1
STATE_FORMAT = "causalex.train-state"


def library_versions() -> dict[str, str]:
    """Versions of the libraries a checkpoint depends on."""
    import scipy

    out = {"causalex": str(causalex.__version__), "torch": str(torch.__version__), "numpy": str(np.__version__),
           "scipy": str(scipy.__version__), "python": platform.python_version()}
    try:
        import torch_geometric

        out["torch_geometric"] = str(torch_geometric.__version__)
    except ImportError:  # pragma: no cover - optional at load time
        out["torch_geometric"] = ""
    return out


@dataclass
class ModelBundle:
    """Everything needed to spot with a trained model.

    Attributes:
        config: the experiment config the model was trained with.
        au_names: the K AUs, in node order.
        graph: the AU graph the graph layers use (its nodes are ``au_names``).
        working_fps: frame rate the model runs at (inputs are resampled to it).
        decode: decoding settings with the thresholds chosen on validation.
        state_dict: the weights.
        versions: library versions at training time.
        meta: training notes (fold, best epoch, validation F1, selection rule, subjects, and ``scale``: the
            scale of the AU series it was trained on, see `AUSeries.common_scale`).
    """

    config: ExperimentConfig
    au_names: list[str]
    graph: AUGraph
    working_fps: float
    decode: DecodeConfig
    state_dict: dict[str, torch.Tensor]
    versions: dict[str, str] = field(default_factory=library_versions)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def scale(self) -> str | None:
        """Scale of the AU series the model was trained on (``meta["scale"]``); None in older checkpoints."""
        value = self.meta.get("scale")
        return str(value) if value else None

    @property
    def recipe(self) -> str | None:
        """The named recipe (`causalex.train.recipes`) the model was trained from; None for none or older files."""
        return self.config.recipe or None

    def build_model(self, device: str | torch.device = "cpu") -> SpottingNet:
        """The network with its weights, in eval mode on ``device``.

        Raises:
            InputError: the weights do not fit the architecture in the config.
        """
        model = build_model(self.config.model, self.graph.adjacency_for(self.au_names),
                            self.graph.node_mask(self.au_names))
        try:
            model.load_state_dict(self.state_dict, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            detail = " ".join(line.strip() for line in first[1:3]) or first[0]
            raise input_error(self.meta.get("file"), f"weights do not fit the model in its config ({detail})") from None
        return model.to(device).eval()


def plain(obj: Any) -> Any:
    """``obj`` with numpy scalars/arrays and tuples turned into plain Python values (safe to load)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, str):
        return str(obj)
    return obj


def _graph_doc(graph: AUGraph) -> dict[str, Any]:
    doc = graph.to_json()
    doc["provenance"] = {k: v for k, v in doc["provenance"].items() if k != "file"}
    return doc


def _graph_from_doc(doc: dict[str, Any]) -> AUGraph:
    nodes = list(doc["nodes"])
    adj = np.zeros((len(nodes), len(nodes)), np.int8)
    for a, b in doc.get("adjacency", []):
        adj[nodes.index(a), nodes.index(b)] = 1
    return AUGraph(nodes=nodes, edges=[GraphEdge(**e) for e in doc.get("edges", [])], adjacency=adj,
                   provenance=dict(doc.get("provenance", {})), name=doc.get("name", ""))


def save_checkpoint(path: str | os.PathLike, bundle: ModelBundle) -> Path:
    """Write ``bundle`` to ``path`` atomically (temp file + rename); returns the path.

    Raises:
        ValueError: the graph's nodes are not the bundle's AU list.
    """
    if list(bundle.graph.nodes) != list(bundle.au_names):
        raise ValueError(f"graph nodes {bundle.graph.nodes} differ from the AU list {bundle.au_names}")
    payload = plain({
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": bundle.config.to_dict(),
        "au_names": list(bundle.au_names),
        "graph": _graph_doc(bundle.graph),
        "working_fps": float(bundle.working_fps),
        "decode": bundle.decode.to_dict(),
        "versions": dict(bundle.versions),
        "meta": {k: v for k, v in bundle.meta.items() if k != "file"},
    })
    payload["state_dict"] = {k: v.detach().cpu() for k, v in bundle.state_dict.items()}
    with atomic_write(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def _major_minor(version: str) -> tuple[int, ...]:
    parts = []
    for p in version.split("+")[0].split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _read_payload(path: str | os.PathLike, expected_format: str, map_location: str | torch.device) -> dict:
    require_file(path, "checkpoint")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for a truncated or foreign file
        raise input_error(path, f"not a readable causalex checkpoint ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != expected_format:
        raise input_error(path, f"not a causalex checkpoint (expected format {expected_format!r})")
    if int(payload.get("version", 0)) > CHECKPOINT_VERSION:
        raise input_error(path, f"checkpoint format version {payload['version']} is newer than this causalex "
                                f"(reads up to {CHECKPOINT_VERSION}); upgrade causalex")
    return payload


def check_versions(path: str | os.PathLike, saved: dict[str, str]) -> None:
    """Refuse a checkpoint from another major version of causalex or torch; log other differences.

    Raises:
        InputError: major version mismatch.
    """
    now = library_versions()
    for lib in ("causalex", "torch"):
        old, new = saved.get(lib, ""), now.get(lib, "")
        if old and new and _major_minor(old)[:1] != _major_minor(new)[:1]:
            raise input_error(path, f"checkpoint was written with {lib} {old}, this is {lib} {new} "
                                    f"(different major version); retrain or install {lib} {old}")
    diffs = [f"{k} {saved[k]} -> {now.get(k)}" for k in ("causalex", "torch", "torch_geometric")
             if saved.get(k) and saved.get(k) != now.get(k)]
    if diffs:
        log.warning("%s: library versions differ from training (%s)", path, ", ".join(diffs))


# Config fields added after checkpoints were first written, with the value that gives the behaviour those
# older checkpoints were trained with (a missing key would otherwise take today's default).
LEGACY_FIELD_VALUES: dict[tuple[str, str], Any] = {("model", "dynamic_background"): "none"}


def _with_legacy_fields(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (a checkpoint's, always complete when written) with fields it predates set to their old meaning."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for (section, key), value in LEGACY_FIELD_VALUES.items():
        if isinstance(out.get(section), dict):
            out[section].setdefault(key, value)
    return out


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> ModelBundle:
    """Read and check a checkpoint written by `save_checkpoint`.

    Raises:
        InputError: missing or foreign file, newer format, major version mismatch, graph nodes that are
            not the AU list, working rates that disagree, or weights that do not fit the config.
    """
    payload = _read_payload(path, CHECKPOINT_FORMAT, map_location)
    check_versions(path, payload.get("versions", {}))
    if isinstance(payload.get("graph"), dict):
        check_graph_doc(path, payload["graph"])
    try:
        config = ExperimentConfig.from_dict(_with_legacy_fields(payload["config"]))
        decode = DecodeConfig.from_dict(payload["decode"])
        graph = _graph_from_doc(payload["graph"])
        au_names = [str(a) for a in payload["au_names"]]
        working_fps = float(payload["working_fps"])
        state = dict(payload["state_dict"])
    except (KeyError, TypeError, ValueError) as exc:
        raise input_error(path, f"incomplete or invalid checkpoint ({exc})") from None
    if list(graph.nodes) != au_names:
        raise input_error(path, f"graph nodes ({' '.join(graph.nodes)}) differ from the model's AU list "
                                f"({' '.join(au_names)})")
    if abs(working_fps - config.data.working_fps) > 1e-6:
        raise input_error(path, f"working rate {working_fps:g} fps differs from its config "
                                f"({config.data.working_fps:g} fps)")
    stored_adj = state.get("adjacency")
    if stored_adj is not None and not np.array_equal(stored_adj.cpu().numpy() > 0, graph.adjacency > 0):
        raise input_error(path, "the graph stored in the checkpoint is not the one its weights were trained with")
    meta = dict(payload.get("meta", {}))
    meta["file"] = str(path)
    if not meta.get("scale"):
        log.warning("%s: the checkpoint does not record the scale of the AU series it was trained on (written "
                    "before causalex recorded it): inputs on another scale cannot be detected", path)
    bundle = ModelBundle(config=config, au_names=au_names, graph=graph, working_fps=working_fps, decode=decode,
                         state_dict=state, versions=dict(payload.get("versions", {})), meta=meta)
    bundle.build_model("cpu")  # fails here, with the message above, when the weights do not fit
    return bundle


def save_training_state(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write a resumable training state (weights, optimiser, epoch, history, RNG) atomically."""
    with atomic_write(path) as tmp:
        torch.save({"format": STATE_FORMAT, "version": CHECKPOINT_VERSION, **state}, tmp)
    return Path(path)


def load_training_state(path: str | os.PathLike) -> dict[str, Any]:
    """Read a state written by `save_training_state`.

    Raises:
        InputError: missing, unreadable or foreign file.
    """
    payload = _read_payload(path, STATE_FORMAT, "cpu")
    payload.pop("format", None)
    payload.pop("version", None)
    return payload
