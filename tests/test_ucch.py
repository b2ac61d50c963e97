"""UCCH's pieces against hand computations, its options, and that it learns."""

from __future__ import annotations

import logging
import math
import re

import numpy as np
import pytest
import torch
from conftest import encode_and_score

from cmhbench.datasets.synthetic import SyntheticConfig, generate
from cmhbench.methods.ucch import (
    UCCH,
    contrastive_logits,
    contrastive_loss,
    cross_modal_ranking_loss,
    in_batch_loss,
    initial_bank,
    momentum_update,
)
from cmhbench.run.grid import GridSpec, _settings, run_grid

SMALL = {"image_hidden": (128,), "text_hidden": (128,), "lr": 1e-3}


def unit(*rows):
    t = torch.tensor(rows, dtype=torch.float64)
    return t / t.norm(dim=1, keepdim=True)


def test_contrastive_loss_on_a_tiny_bank_by_hand():
    bank = torch.tensor([[0.6, -0.8], [-0.1, -0.99], [0.3, 0.95]], dtype=torch.float64)
    h = unit([1.0, 2.0])
    indices = torch.tensor([[2, 0, 1, 1]])  # positive = row 2, then negatives 0, 1, 1
    temperature = 0.9 * math.sqrt(2)
    logits = contrastive_logits(h, bank, indices, temperature)
    # sign(bank) = [+,-], [-,-], [+,+]; h = (1, 2)/sqrt(5)
    dots = {0: (1 - 2) / math.sqrt(5), 1: (-1 - 2) / math.sqrt(5), 2: (1 + 2) / math.sqrt(5)}
    expected = torch.tensor([[dots[2], dots[0], dots[1], dots[1]]], dtype=torch.float64)
    assert torch.allclose(logits, expected / temperature)
    exps = [math.exp(v / temperature) for v in (dots[2], dots[0], dots[1], dots[1])]
    assert float(contrastive_loss(logits)) == pytest.approx(-math.log(exps[0] / sum(exps)))


def test_gather_and_batched_key_paths_agree():
    generator = torch.Generator().manual_seed(0)
    h = torch.nn.functional.normalize(torch.randn(5, 4, generator=generator), dim=1)
    indices = torch.randint(30, (5, 3), generator=generator)
    small_bank = torch.randn(30, 4, generator=generator)  # 30 > 3 * 4 rows: batched path
    batched = contrastive_logits(h, small_bank, indices, 1.3)
    gathered = (h @ small_bank.sign().T).gather(1, indices) / 1.3
    assert torch.allclose(batched, gathered)
    few_rows = small_bank[:10]  # 10 <= 12: matrix-product path
    assert torch.allclose(
        contrastive_logits(h, few_rows, indices % 10, 1.3),
        torch.bmm(few_rows.sign()[indices % 10], h.unsqueeze(2)).squeeze(2) / 1.3,
    )


def test_no_gradient_reaches_the_bank():
    bank = torch.randn(6, 4, requires_grad=True)
    h = torch.nn.functional.normalize(torch.randn(3, 4), dim=1).requires_grad_()
    indices = torch.tensor([[0, 1, 2], [1, 5, 4], [2, 3, 0]])
    contrastive_loss(contrastive_logits(h, bank, indices, 1.0)).backward()
    assert h.grad is not None and h.grad.abs().sum() > 0
    assert bank.grad is None or torch.count_nonzero(bank.grad) == 0
    in_batch_loss(h, h.detach().flip(0), 1.0).backward()  # keys from the batch: no gradient


def test_fit_keeps_the_bank_out_of_autograd():
    data = generate(SyntheticConfig(n_items=300, n_query=50, n_train=None), 0)
    method = UCCH(16, **SMALL, epochs=2, n_negatives=8)
    method.fit(data.part("train", with_labels=False))
    params = [p for net in method.networks.values() for p in net.parameters()]
    assert all(p.grad is not None or not p.requires_grad for p in params)


def test_in_batch_loss_uses_the_other_pairs_as_negatives():
    hx = unit([1.0, 0.5], [-0.3, 1.0], [0.2, -1.0])
    hy = unit([0.9, 0.7], [-0.5, 0.8], [0.4, -0.6])
    keys = ((hx + hy) / 2).sign()
    expected = 0.0
    for h in (hx, hy):
        for i in range(3):
            logits = [float(h[i] @ keys[j]) / 2.0 for j in range(3)]
            expected += -math.log(math.exp(logits[i]) / sum(math.exp(v) for v in logits)) / 3
    assert float(in_batch_loss(hx, hy, 2.0)) == pytest.approx(expected)


def test_momentum_update_by_hand():
    bank = unit([1.0, 0.0], [0.0, 1.0], [1.0, 1.0])
    hx, hy = unit([0.0, 1.0]), unit([1.0, 1.0])
    momentum_update(bank, torch.tensor([0]), hx, hy, 0.4)
    mean = (hx[0] + hy[0]) / 2
    mean = mean / mean.norm()
    mixed = 0.4 * torch.tensor([1.0, 0.0], dtype=torch.float64) + 0.6 * mean
    assert torch.allclose(bank[0], mixed / mixed.norm())
    assert torch.allclose(bank[1], torch.tensor([0.0, 1.0], dtype=torch.float64))  # untouched
    momentum_update(bank, torch.tensor([2]), hx, hy, 0.0)  # warm-up: overwritten
    assert torch.allclose(bank[2], mean)


def test_ranking_loss_mask_and_value_by_hand():
    hx = unit([1.0, 0.0], [0.0, 1.0])
    hy = unit([0.8, 0.6], [0.6, 0.8])
    # M = [[0.8, 0.6], [0.6, 0.8]], margin 0.25, shift 0.5, kappa 1
    # rows: M_01 = 0.6 >= 0.8 - 0.25 -> inside (kept); the same for the other row and columns.
    kept = 0.25 - 0.8 + math.log(math.exp(0.8) + math.exp(0.6))
    assert float(cross_modal_ranking_loss(hx, hy, 0.25, 0.5, 1.0)) == pytest.approx(2 * kept)
    # margin 0.1: the negative 0.6 < 0.8 - 0.1 lies outside and is shifted down by xi.
    shifted = 0.1 - 0.8 + math.log(math.exp(0.8) + math.exp(0.6 - 0.5))
    assert float(cross_modal_ranking_loss(hx, hy, 0.1, 0.5, 1.0)) == pytest.approx(2 * shifted)


def test_ranking_loss_mask_carries_no_gradient_and_kappa_scales():
    hx = unit([1.0, 0.2], [0.1, 1.0]).requires_grad_()
    hy = unit([0.7, 0.7], [0.2, 1.0])
    loss = cross_modal_ranking_loss(hx, hy, 0.2, 0.1, 0.5)
    loss.backward()
    assert torch.isfinite(hx.grad).all()
    sims = (hx @ hy.T).detach()
    pos = sims.diag()
    inside = sims >= pos[:, None] - 0.2
    by_hand = 0.0
    for scores, mask, p in ((sims, inside, pos), (sims.T, (pos[:, None] - 0.2 <= sims.T), pos)):
        shifted = torch.where(mask, scores, scores - 0.1)
        by_hand += float((0.2 - p + 0.5 * torch.log(torch.exp(shifted / 0.5).sum(1))).mean())
    assert float(loss.detach()) == pytest.approx(by_hand)


def test_initial_bank_is_binary_normalised_and_biased_as_in_the_code():
    bank = initial_bank(4000, 16, torch.Generator().manual_seed(0))
    assert torch.allclose(bank.abs(), torch.full_like(bank, 1 / 4))
    assert 0.25 < float((bank > 0).float().mean()) < 0.37  # N(-s, (2s)^2): ~31% positive


def test_dataset_defaults_apply_before_user_values():
    assert _settings(UCCH, "mscoco", {}) == {"alpha": 0.6, "shift": 7.0}
    assert _settings(UCCH, "mscoco", {"alpha": "0.5"})["alpha"] == "0.5"
    assert _settings(UCCH, "synthetic", {}) == {}


@pytest.fixture(scope="module")
def easy_data():
    return generate(SyntheticConfig(n_items=1200, n_query=200, n_train=None), seed=0)


def scores_of(method, data):
    return {direction: r.map for direction, r in encode_and_score(method, data)[1].items()}


@pytest.mark.parametrize(
    "options",
    [
        {"alpha": 1.0},
        {"alpha": 0.0},
        {"ranking_loss": "max-margin"},
        {"memory_bank": False},
        {"warmup_epochs": 0},
    ],
)
def test_ablations_train_and_give_codes(easy_data, options):
    method = UCCH(16, **SMALL, epochs=3, **options)
    method.fit(easy_data.part("train", with_labels=False), seed=1)
    assert len(method.training_history()) == 3
    assert min(scores_of(method, easy_data).values()) > 0.23


def test_validation_model_selection_needs_and_uses_labels(easy_data, caplog):
    method = UCCH(16, **SMALL, epochs=3, model_selection="validation", validation_size=300)
    assert method.uses_labels and not UCCH(16).uses_labels
    with pytest.raises(ValueError, match="labels"):
        method.fit(easy_data.part("train", with_labels=False))
    with caplog.at_level(logging.INFO, logger="cmhbench"):
        method.fit(easy_data.part("train", with_labels=True))
    kept = re.search(r"ucch 16 bits: kept epoch (\d) \(validation mAP (\S+)\)", caplog.text)
    assert kept and 1 <= int(kept.group(1)) <= 3 and 0 < float(kept.group(2)) <= 1
    assert np.isfinite(list(scores_of(method, easy_data).values())).all()


def test_runner_hands_labels_only_when_validation_selection_is_asked_for(tmp_path):
    small = ["image_hidden=32", "text_hidden=32", "epochs=2", "n_negatives=16"]
    for selection in ("last", "validation"):
        spec = GridSpec(
            methods=["ucch"],
            bits=[8],
            out=tmp_path / selection,
            progress=False,
            assignments=[*small, f"model_selection={selection}", "validation_size=100"],
        )
        (record,) = run_grid(spec)
        assert record["status"] == "ok", record["error"]
        assert record["config"]["model_selection"] == selection
        assert record["trained_with_labels"] is (selection == "validation")
