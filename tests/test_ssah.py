"""SSAH: its layers and terms by hand, where the adversarial gradient goes, and learning."""

from __future__ import annotations

import pytest
import torch

from cmhbench.datasets import load_dataset
from cmhbench.errors import CmhbenchError
from cmhbench.methods._losses import pairwise_likelihood
from cmhbench.methods._ssah_nets import FeatureLRN, MultiScaleText
from cmhbench.methods.ssah import SSAH

SMALL = dict(hidden=256, semantic_dim=64, steps_per_pass=2)


def test_feature_lrn_is_tensorflows_formula():
    x = torch.tensor([[1.0, -2.0, 3.0, 0.5, 4.0, -1.0]])
    expected = torch.empty_like(x)
    for j in range(x.shape[1]):
        window = x[0, max(0, j - 2) : j + 3]
        expected[0, j] = x[0, j] / (2.0 + 1e-4 * window.pow(2).sum()) ** 0.75
    assert torch.allclose(FeatureLRN()(x), expected)
    # The same values and gradients as torch's own LRN (alpha there is per unit averaged).
    y = (torch.randn(8, 64, generator=torch.Generator().manual_seed(0)) * 30).requires_grad_()
    reference = torch.nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    ours_grad = torch.autograd.grad(FeatureLRN()(y).pow(2).sum(), y)[0]
    torch_out = reference(y.unsqueeze(-1)).squeeze(-1)
    torch_grad = torch.autograd.grad(torch_out.pow(2).sum(), y)[0]
    assert torch.allclose(FeatureLRN()(y), torch_out, atol=1e-5)
    assert torch.allclose(ours_grad, torch_grad, atol=1e-5)


def test_multiscale_text_channels():
    fusion = MultiScaleText(60, (1, 2, 3, 6, 10, 20), init_std=0.01)
    assert fusion.widths == [5, 10, 15, 30, 50]  # a 100-wide pool does not fit 60 values
    assert fusion.out_dim == 60 * 6
    constant = torch.full((2, 60), 3.0)
    with torch.no_grad():
        fusion.weights.fill_(1.0)
        assert torch.allclose(fusion(constant), torch.full((2, 360), 3.0))
        fusion.weights.fill_(-1.0)
        out = fusion(constant)
    assert torch.equal(out[:, :60], constant) and torch.equal(out[:, 60:], torch.zeros(2, 300))


def test_pairwise_likelihood_by_hand():
    theta = torch.tensor([[2.0, -1.0], [0.5, 0.0]])
    s = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    terms = s * theta - torch.log1p(torch.exp(theta))
    assert float(pairwise_likelihood(theta, s, "nll")) == pytest.approx(float(-terms.sum()))
    assert float(pairwise_likelihood(theta, s, "squared")) == pytest.approx(
        float((terms**2).sum() / 2)
    )
    large = torch.tensor([[500.0]])
    assert torch.isfinite(pairwise_likelihood(large, torch.zeros(1, 1), "nll"))


@pytest.mark.parametrize("adversarial, reaches_nets", [("paper", True), ("code", False)])
def test_adversarial_loss_reaches_modality_networks_only_in_the_default_mode(
    adversarial, reaches_nets
):
    """With every other term off, one epoch of training moves ImgNet and TxtNet in the
    default (paper) configuration and leaves them untouched in the release's."""
    assert SSAH.Params().adversarial == "paper"
    data = load_dataset("synthetic").part("train")
    zero = dict(alpha=0.0, beta=0.0, gamma=0.0, eta=0.0, delta=1.0)
    zero |= dict(label_passes=(1,), discriminator_passes=(1,), image_passes=(1,), text_passes=(1,))
    method = SSAH(16, epochs=0, adversarial=adversarial, **zero, **SMALL)
    method.fit(data, seed=0)
    before = {
        m: [w.detach().clone() for w in method.networks[m].parameters()] for m in method.networks
    }
    method = SSAH(16, epochs=1, adversarial=adversarial, **zero, **SMALL)
    method.fit(data, seed=0)
    for modality in ("image", "text"):
        after = list(method.networks[modality].parameters())
        moved = any(not torch.equal(a, b) for a, b in zip(after, before[modality], strict=True))
        assert moved == reaches_nets, modality


def test_unknown_mode_is_one_clear_error():
    with pytest.raises(CmhbenchError, match="adversarial must be one of paper, code"):
        SSAH(16, adversarial="both")
