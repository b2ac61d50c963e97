"""SSAH: its layers and terms by hand, where the adversarial gradient goes, and learning."""

from __future__ import annotations

import pytest
import torch

from cmhbench.datasets import load_dataset
from cmhbench.errors import CmhbenchError
from cmhbench.methods._losses import pairwise_likelihood
from cmhbench.methods._nets import normal_init_, start_training
from cmhbench.methods._ssah_nets import FeatureLRN, MultiScalePools, MultiScaleText
from cmhbench.methods.ssah import SSAH, SSAHTraining

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
    pools = MultiScalePools(60, (1, 2, 3, 6, 10, 20), init_std=0.01)
    assert pools.widths == [5, 10, 15, 30, 50]  # a 100-wide pool does not fit 60 values
    assert pools.out_dim == 60 * 6
    constant = torch.full((2, 60), 3.0)
    with torch.no_grad():
        pools.weights.fill_(1.0)
        assert torch.allclose(pools.fused(constant), torch.full((2, 360), 3.0))
        pools.weights.fill_(-1.0)
        out = pools.fused(constant)
    assert torch.equal(out[:, :60], constant) and torch.equal(out[:, 60:], torch.zeros(2, 300))


def test_resize_matrices_are_pytorchs_linear_resize():
    pools = MultiScalePools(76, (1, 3), init_std=0.01)
    pooled = torch.randn(4, 1, 76 // 15)
    expected = torch.nn.functional.interpolate(pooled, size=76, mode="linear").squeeze(1)
    assert torch.allclose(pooled.squeeze(1) @ pools.resize(1), expected, atol=1e-6)


def test_factorised_text_layer_equals_the_layer_on_the_fused_vector():
    """Values and gradients of linear(fusion(x)), with the linear layer's weights."""
    torch.manual_seed(0)
    pools = MultiScalePools(76, (1, 2, 3, 6, 10), init_std=0.01)
    with torch.no_grad():
        pools.weights.copy_(torch.tensor([0.5, -0.3, 1.2, 0.7, 0.9]))
    linear = torch.nn.Linear(pools.out_dim, 32)
    factorised = MultiScaleText(pools, linear)
    x = torch.randn(8, 76)
    ours = factorised(x)
    direct = linear(pools.fused(x))
    assert torch.allclose(ours, direct, atol=1e-6)
    ours_grads = torch.autograd.grad(ours.pow(2).sum(), [*factorised.blocks, pools.weights])
    direct_grads = torch.autograd.grad(direct.pow(2).sum(), [linear.weight, pools.weights])
    assert torch.allclose(torch.cat(ours_grads[:-1], dim=1), direct_grads[0], atol=1e-5)
    assert torch.allclose(ours_grads[-1], direct_grads[1], atol=1e-5)


def test_factorised_text_layer_draws_the_linear_layers_initial_weights():
    pools = MultiScalePools(60, (1, 2), init_std=0.01)
    linear = torch.nn.Linear(pools.out_dim, 16)
    factorised = MultiScaleText(pools, torch.nn.Linear(pools.out_dim, 16))
    torch.manual_seed(3)
    normal_init_(linear, 0.01)
    torch.manual_seed(3)
    normal_init_(factorised, 0.01)
    assert torch.equal(torch.cat(list(factorised.blocks), dim=1), linear.weight)
    assert torch.equal(factorised.bias, linear.bias)


def test_label_network_outputs_per_distinct_label_vector_equal_a_full_forward():
    data = load_dataset("uci-mfeat")  # single-label: at most 10 distinct vectors a batch
    method = SSAH(16, **SMALL)
    generator, tensors = start_training(method, data.part("train", with_labels=True), "cpu", 0)
    training = SSAHTraining(method.params, 16, tensors, generator, method.device)
    batch = torch.arange(0, 1800, 14)
    direct = training.nets["label"].outputs(tensors["labels"][batch])
    for ours, full in zip(training._label_outputs(batch), direct, strict=True):
        assert torch.allclose(ours, full, atol=1e-6)


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


@pytest.mark.parametrize("adam_steps", ["per-network", "shared"])
def test_adam_step_counts_per_network_or_shared_like_the_codes_one_optimiser(adam_steps):
    data = load_dataset("synthetic").part("train", with_labels=True)
    method = SSAH(16, adam_steps=adam_steps, **SMALL)
    generator, tensors = start_training(method, data, "cpu", 0)
    training = SSAHTraining(method.params, 16, tensors, generator, method.device)
    steps = max(len(data) // 128, SMALL["steps_per_pass"])  # one pass
    for name in ("label", "discriminator", "image", "text"):
        training._run_stage(name, passes=1, lr=1e-4, min_passes=0, epoch=0)

    def count(name: str) -> int:
        optimiser = training.optimisers[name]
        return int(optimiser.state[optimiser.param_groups[0]["params"][0]]["step"])

    expected = {"label": 1, "image": 2, "text": 3} if adam_steps == "shared" else {}
    for name in ("label", "image", "text"):
        assert count(name) == steps * expected.get(name, 1), name
    assert count("discriminator") == steps
