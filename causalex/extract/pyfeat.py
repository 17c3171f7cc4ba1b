"""The optional py-feat extractor (``pyfeat``, extra ``causalex[pyfeat]``).

It runs py-feat's ``Detectorv2`` (RetinaFace + the multitask model; py-feat 2.1 has no
``feat.Detector``) on batches of frames and keeps, per frame, the AU probabilities (0..1) of the
most confident face. py-feat's AUs run from AU01 to AU43; there is no AU45 (blink).

py-feat fetches weights with ``hf_hub_download`` into a Hugging Face cache fixed at
``<site-packages>/feat/resources``; offline, a missing file costs ~47 s of retries before a
``LocalEntryNotFoundError``. `check_pyfeat` therefore verifies everything up front, without any
network access: the package is installed, the weight files are in that cache (or
``FEAT_MULTITASK_WEIGHTS`` points at the multitask file), and ``import feat`` works (it needs a
torchvision/torchcodec build matching torch and the system FFmpeg libraries). The detector is then
built with ``HF_HUB_OFFLINE=1``, so it can only read the cache.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
from pathlib import Path
from typing import Iterator

import numpy as np

from causalex.errors import input_error
from causalex.extract.base import BackendUnavailable, Extractor, FrameProgress, register_extractor
from causalex.series import AUSeries

log = logging.getLogger(__name__)

PYFEAT_SCALE = "probability_0_1"
INSTALL_HINT = "pip install 'py-feat>=2.1' (the 'pyfeat' extra of causalex)"
# (Hugging Face repo, accepted file names, environment variable that may point at a local file instead)
PYFEAT_WEIGHTS = (
    ("py-feat/retinaface_r34", ("model.safetensors", "retinaface_r34.safetensors"), None),
    ("py-feat/face_multitask_v2", ("face_multitask_v28.safetensors",), "FEAT_MULTITASK_WEIGHTS"),
)


def pyfeat_resource_dir() -> Path | None:
    """``<site-packages>/feat/resources`` (py-feat's weight cache) without importing feat; None if not installed."""
    spec = importlib.util.find_spec("feat")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "resources"


def cached_weight(resources: Path, repo: str, names: tuple[str, ...]) -> Path | None:
    """A weight file already in the Hugging Face cache layout ``models--org--name/snapshots/*/file``."""
    folder = resources / ("models--" + repo.replace("/", "--")) / "snapshots"
    for name in names:
        for path in sorted(folder.glob(f"*/{name}")):
            if path.is_file():
                return path
    return None


@contextlib.contextmanager
def hf_offline() -> Iterator[None]:
    """Set ``HF_HUB_OFFLINE=1`` for the duration (env and, if already imported, huggingface_hub's constant)."""
    old = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    constants = None
    try:
        import huggingface_hub.constants as constants  # noqa: PLC0415

        old_const = constants.HF_HUB_OFFLINE
        constants.HF_HUB_OFFLINE = True
    except (ImportError, AttributeError):
        constants = None
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = old
        if constants is not None:
            constants.HF_HUB_OFFLINE = old_const


def check_pyfeat() -> dict[str, Path]:
    """Check, without downloads, that py-feat can run here; return the weight files it will use.

    Raises:
        BackendUnavailable: one line saying what to install or where the weights must be.
    """
    resources = pyfeat_resource_dir()
    if resources is None:
        raise BackendUnavailable(f"py-feat is not installed: {INSTALL_HINT}, with torchvision and torchcodec "
                                 "builds matching your torch, and the system FFmpeg libraries")
    found: dict[str, Path] = {}
    for repo, names, env in PYFEAT_WEIGHTS:
        path = Path(os.environ[env]) if env and os.environ.get(env) else cached_weight(resources, repo, names)
        if path is None or not path.is_file():
            where = f"{resources}/models--{repo.replace('/', '--')}/snapshots/<revision>/{names[0]}"
            extra = f" (or set {env} to a local copy)" if env else ""
            raise BackendUnavailable(f"py-feat weights {repo}/{names[0]} are not available offline: they must be at "
                                     f"{where}{extra}; fetch them once online with huggingface_hub.hf_hub_download"
                                     f"(repo_id={repo!r}, filename={names[0]!r}, cache_dir={str(resources)!r})")
        found[repo] = path
    try:
        with hf_offline():
            import feat  # noqa: F401
            from feat import Detectorv2  # noqa: F401
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(f"py-feat is installed but its dependency {exc.name!r} is missing: reinstall with "
                                 f"{INSTALL_HINT}") from exc
    except Exception as exc:  # ImportError, OSError (FFmpeg libraries), RuntimeError (torch ops) ...
        import torch

        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise BackendUnavailable(f"py-feat is installed but cannot be imported ({type(exc).__name__}: {first[:160]}); "
                                 f"install torchvision/torchcodec builds matching torch {torch.__version__} and the "
                                 "system FFmpeg libraries, or reinstall with " + INSTALL_HINT) from exc
    return found


def best_face_rows(table, au_names: list[str], n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the AU row of the most confident face in a py-feat result table.

    Args:
        table: DataFrame with columns ``frame`` (0-based within the batch), ``FaceScore`` and ``au_names``
            (py-feat's Fex); frames without a face have NaN AUs.
        au_names: AU columns to keep.
        n_frames: frames in the batch.

    Returns:
        ``values: [n_frames, K]`` float32 (NaN where no face) and ``mask: [n_frames]`` bool.
    """
    values = np.full((n_frames, len(au_names)), np.nan, np.float32)
    mask = np.zeros(n_frames, bool)
    aus = table[au_names].to_numpy(dtype=np.float64)
    score = table["FaceScore"].to_numpy(dtype=np.float64) if "FaceScore" in table else np.ones(len(table))
    score = np.where(np.isfinite(score), score, -np.inf)
    frames = table["frame"].to_numpy()
    best_score = np.full(n_frames, -np.inf)
    for row in range(len(table)):
        f = int(frames[row])
        if not 0 <= f < n_frames or not np.isfinite(aus[row]).all():
            continue
        if not mask[f] or score[row] > best_score[f]:
            values[f], mask[f], best_score[f] = aus[row], True, score[row]
    return values, mask


@register_extractor("pyfeat")
class PyFeatExtractor(Extractor):
    """AU probabilities from py-feat's ``Detectorv2`` (needs the ``pyfeat`` extra and local weights).

    Args:
        device: torch device for py-feat (``cpu``, ``cuda``, ``mps``).
        batch_size: frames per detector call (memory stays bounded by one batch).
    """

    version = "1"

    def __init__(self, device: str = "cpu", batch_size: int = 16) -> None:
        self.device = device
        self.batch_size = int(batch_size)
        self._detector = None

    def check(self) -> None:
        """Raise `BackendUnavailable` unless py-feat imports and its weights are in the local cache."""
        check_pyfeat()

    def settings(self) -> dict:
        """Options that change the output."""
        return {"batch_size": self.batch_size}

    def _load(self):
        if self._detector is None:
            weights = check_pyfeat()
            with hf_offline():
                from feat import Detectorv2

                self._detector = Detectorv2(device=self.device, identity_model=None,
                                            multitask_weights=str(weights["py-feat/face_multitask_v2"]))
        return self._detector

    def extract(self, source, progress: FrameProgress | None = None) -> AUSeries:
        """AU probabilities ``[T, K]`` (py-feat's AUs, no AU45) and the face mask ``[T]``.

        Raises:
            BackendUnavailable: py-feat cannot run here.
            InputError: unreadable video, or no face in any frame.
        """
        import cv2
        import torch

        detector = self._load()
        au_names = list(detector.multitask.au_names)
        chunks_v, chunks_m, batch = [], [], []
        total, done = source.n_frames_hint, 0

        def flush() -> None:
            nonlocal done
            present = [i for i, f in enumerate(batch) if f is not None]
            values = np.full((len(batch), len(au_names)), np.nan, np.float32)
            mask = np.zeros(len(batch), bool)
            if present:
                rgb = np.stack([cv2.cvtColor(batch[i], cv2.COLOR_BGR2RGB) for i in present])
                tensor = torch.from_numpy(rgb).permute(0, 3, 1, 2).contiguous()  # [B, 3, H, W] uint8
                with hf_offline():
                    fex = detector.detect(tensor, data_type="tensor", batch_size=len(present), progress_bar=False)
                v, m = best_face_rows(fex, au_names, len(present))
                values[present], mask[present] = v, m
            chunks_v.append(values)
            chunks_m.append(mask)
            done += len(batch)
            batch.clear()
            if progress is not None:
                progress(done, total)

        for frame in source.frames(color=True):
            batch.append(frame)
            if len(batch) == self.batch_size:
                flush()
        if batch:
            flush()
        if not chunks_v:
            raise input_error(source.path or source.name, "no frames")
        values, mask = np.concatenate(chunks_v), np.concatenate(chunks_m)
        if not mask.any():
            raise input_error(source.path or source.name, f"no face found in any of {len(mask)} frames")
        import feat

        meta = {"extractor": self.name, "extractor_version": self.version, "settings": self.settings(),
                **source.describe(), "pyfeat_version": feat.__version__, "detector": "Detectorv2",
                "frames_with_face": int(mask.sum()), "masked_frames": int((~mask).sum()),
                "units": "AU probability 0..1 (py-feat has no AU45)"}
        return AUSeries(values=values, mask=mask, fps=source.fps, au_names=au_names, video=source.name,
                        source="pyfeat", scale=PYFEAT_SCALE, meta=meta)
