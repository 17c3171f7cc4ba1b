"""The boundary-aware spotting loss on tiny tensors: equal to the focal loss at weight 0 or far from boundaries,
heavier (and pushing the right way) at true onsets and offsets."""

import pytest
import torch

from causalex.model.outputs import SPOT_CHANNELS, channel_index
from causalex.train.losses import loss_names, make_loss

C = len(SPOT_CHANNELS)
ONSET = channel_index("micro", "onset")
APEX = channel_index("micro", "apex")


def tiny_batch(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 12, C, generator=gen)
    targets = torch.zeros(2, 12, C)
    targets[:, 4, ONSET] = 1.0  # a true micro onset at frame 4 (a bump)
    targets[:, 3, ONSET] = targets[:, 5, ONSET] = 0.6
    targets[:, 4:9, APEX] = 0.5
    mask = torch.ones(2, 12, dtype=torch.bool)
    mask[1, 10:] = False
    return logits, targets, mask, torch.ones(C)


def test_registered_and_weight_zero_is_the_focal_loss():
    assert loss_names() == ["bce", "boundary", "focal"]
    logits, targets, mask, weights = tiny_batch()
    focal = make_loss("focal", gamma=2.0, label_smoothing=0.05, boundary_weight=3.0)  # extra settings ignored
    off = make_loss("boundary", gamma=2.0, label_smoothing=0.05, boundary_weight=0.0)
    assert torch.equal(focal(logits, targets, mask, weights), off(logits, targets, mask, weights))
    on = make_loss("boundary", gamma=2.0, label_smoothing=0.05, boundary_weight=3.0)
    assert on(logits, targets, mask, weights) > focal(logits, targets, mask, weights)


def test_without_boundaries_it_is_the_focal_loss():
    logits, targets, mask, weights = tiny_batch()
    targets[:, :, ONSET] = 0.0  # no onset/offset anywhere: only apex targets, which get no extra weight
    focal = make_loss("focal")(logits, targets, mask, weights)
    assert torch.allclose(make_loss("boundary", boundary_weight=5.0)(logits, targets, mask, weights), focal)


def _onset_grad(name: str, **kw) -> torch.Tensor:
    logits, targets, mask, weights = tiny_batch()
    logits = torch.zeros_like(logits, requires_grad=True)  # p = 0.5 everywhere
    make_loss(name, **kw)(logits, targets, mask, weights).backward()
    return logits.grad[0, :, ONSET]


def test_gradient_pushes_up_at_the_true_onset_and_harder_than_focal():
    boundary = _onset_grad("boundary", boundary_weight=2.0)
    focal = _onset_grad("focal")
    assert boundary[4] < 0 and focal[4] < 0  # gradient descent raises the onset logit at the true onset
    assert boundary[4] == pytest.approx(3.0 * focal[4])  # weight 1 + 2 * 1 at the bump's top
    assert boundary[3] == pytest.approx(2.2 * focal[3])  # 1 + 2 * 0.6 one frame away: distance-aware
    assert boundary[0] > 0 and boundary[0] == pytest.approx(focal[0])  # far away: the focal push down


def test_unknown_loss_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid: bce, boundary, focal"):
        make_loss("meldae")
