"""The optional py-feat backend: up-front checks (no downloads), result mapping, and a real run where possible."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causalex.extract import BackendUnavailable, extract_video, make_extractor
from causalex.extract import pyfeat as pf

DATA = Path(__file__).parent / "data" / "extract"


def _pyfeat_runs() -> str | None:
    """None if py-feat can run here, else why not."""
    try:
        pf.check_pyfeat()
    except BackendUnavailable as exc:
        return str(exc)
    return None


def test_not_installed_says_what_to_install(monkeypatch):
    monkeypatch.setattr(pf, "pyfeat_resource_dir", lambda: None)
    with pytest.raises(BackendUnavailable) as err:
        make_extractor("pyfeat").check()
    message = str(err.value)
    assert "\n" not in message and "py-feat is not installed" in message and "pip install 'py-feat>=2.1'" in message


def test_missing_weights_say_where_they_must_be(tmp_path, monkeypatch):
    monkeypatch.setattr(pf, "pyfeat_resource_dir", lambda: tmp_path)
    monkeypatch.delenv("FEAT_MULTITASK_WEIGHTS", raising=False)
    with pytest.raises(BackendUnavailable, match="py-feat/retinaface_r34/model.safetensors are not available "
                                                 "offline") as err:
        pf.check_pyfeat()
    assert str(tmp_path / "models--py-feat--retinaface_r34" / "snapshots") in str(err.value)
    snapshot = tmp_path / "models--py-feat--retinaface_r34" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "retinaface_r34.safetensors").write_bytes(b"w")  # the fallback name is accepted too
    with pytest.raises(BackendUnavailable, match="face_multitask_v28.safetensors.*FEAT_MULTITASK_WEIGHTS"):
        pf.check_pyfeat()
    local = tmp_path / "mine.safetensors"
    local.write_bytes(b"w")
    monkeypatch.setenv("FEAT_MULTITASK_WEIGHTS", str(local))
    if pf.importlib.util.find_spec("feat") is None:  # weights found; the import is what fails here
        with pytest.raises(BackendUnavailable, match="py-feat is installed but"):
            pf.check_pyfeat()
    assert pf.cached_weight(tmp_path, "py-feat/retinaface_r34", ("model.safetensors", "retinaface_r34.safetensors")) \
        == snapshot / "retinaface_r34.safetensors"


def test_offline_switch_is_restored(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    with pf.hf_offline():
        assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["HF_HUB_OFFLINE"] == "0"
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pf.hf_offline():
        pass
    assert "HF_HUB_OFFLINE" not in os.environ


def test_best_face_per_frame_and_missing_faces_masked():
    table = pd.DataFrame({
        "frame": [0, 0, 1, 2],
        "FaceScore": [0.7, 0.99, np.nan, 0.9],
        "AU01": [0.1, 0.8, np.nan, 0.3],
        "AU12": [0.2, 0.6, np.nan, 0.4],
    })
    values, mask = pf.best_face_rows(table, ["AU01", "AU12"], n_frames=4)
    assert mask.tolist() == [True, False, True, False]
    np.testing.assert_allclose(values[0], [0.8, 0.6])  # the more confident of the two faces
    np.testing.assert_allclose(values[2], [0.3, 0.4])
    assert np.isnan(values[[1, 3]]).all()


@pytest.mark.slow
@pytest.mark.skipif(_pyfeat_runs() is not None, reason=f"py-feat cannot run here: {_pyfeat_runs()}")
def test_pyfeat_backend_on_a_real_clip():
    series = extract_video(DATA / "wolfgang_48f_320x180.mp4", backend="pyfeat", batch_size=8)
    assert series.source == "pyfeat" and series.scale == "probability_0_1"
    assert series.n_frames == 48 and series.mask.all()
    assert "AU45" not in series.au_names and "AU12" in series.au_names
    assert np.nanmin(series.values) >= 0 and np.nanmax(series.values) <= 1
