"""The frame-noise estimate of benchmarks/bench_sim_noise.py, on series of known noise, and its run on real files."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_sim_noise import main, relative_noise, window_noise  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def test_white_noise_is_all_noise_and_a_slow_movement_is_not():
    rng = np.random.default_rng(0)
    white = rng.normal(0.0, 0.3, (20_000, 2))
    assert relative_noise(white) == pytest.approx([1.0, 1.0], abs=0.03)
    t = np.arange(2_000)[:, None] / 30.0
    slow = np.sin(2 * np.pi * 0.5 * t) + rng.normal(0.0, 0.05, (2_000, 1))  # sd of the sine: 0.71
    assert relative_noise(slow)[0] == pytest.approx(0.05 / np.sqrt(0.5 + 0.05 ** 2), rel=0.1)
    flat = np.zeros((50, 1))
    assert relative_noise(flat).size == 0  # a constant AU is left out


def test_windows_skip_masked_frames():
    values = np.random.default_rng(1).normal(size=(300, 3))
    mask = np.ones(300, bool)
    mask[150] = False
    assert window_noise(values, mask, 100).size == 2 * 3  # the window holding frame 150 is skipped


def test_runs_on_a_real_openface_output(capsys):
    assert main([str(DATA / "openface_success0.csv"), "--seeds", "0", "--preset", "tiny", "--no-append"]) == 0
    out = capsys.readouterr().out
    assert "real: openface_success0.csv (openface)" in out and "simulated tiny, seed 0" in out


def test_masked_frames_do_not_make_jumps():
    values = np.ones((200, 1))
    values[:100] += np.linspace(0, 1, 100)[:, None]
    values[100:] = 0.0  # a tracker that wrote zeros where it lost the face
    mask = np.arange(200) < 100
    assert relative_noise(values, mask)[0] == pytest.approx(0.0, abs=1e-6)  # a straight ramp: no noise
