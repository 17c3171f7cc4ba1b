"""Device names every command accepts (``auto``, ``cpu``, ``cuda``, ``cuda:N``), checked in one place."""

from __future__ import annotations


def device_problem(device: str) -> str | None:
    """Why ``device`` cannot be used here (one sentence), or None when it can.

    ``cuda`` (or ``cuda:N``) needs a CUDA GPU that torch sees; torch is imported only to check that.
    """
    if device in ("auto", "cpu"):
        return None
    if not device.startswith("cuda"):
        return f"unknown device {device!r}; valid: auto, cpu, cuda"
    import torch

    if not torch.cuda.is_available():
        return "--device cuda was asked for but no CUDA GPU is available (use auto or cpu)"
    return None


__all__ = ["device_problem"]
