"""The shared training loop and the triplet baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import encode_and_score

from cmhbench.data import PairedSet
from cmhbench.datasets.synthetic import SyntheticConfig, generate
from cmhbench.errors import CmhbenchError, DivergenceError
from cmhbench.methods._losses import max_margin_loss
from cmhbench.methods.triplet import TripletHashing
from cmhbench.training import LoopConfig, minibatches, resolve_device, train

SMALL = {"image_hidden": (128,), "text_hidden": (128,)}


def test_minibatches_cover_the_data_once_and_drop_the_last_partial_batch():
    generator = torch.Generator().manual_seed(0)
    batches = list(minibatches(10, 4, generator, torch.device("cpu"), drop_last=True))
    assert [len(b) for b in batches] == [4, 4]
    kept = torch.cat(batches)
    assert kept.unique().numel() == 8
    full = list(minibatches(10, 4, generator, torch.device("cpu"), drop_last=False))
    assert sorted(torch.cat(full).tolist()) == list(range(10))


def test_a_nan_loss_stops_training_with_the_epoch_and_value():
    net = torch.nn.Linear(2, 1)
    x = torch.randn(8, 2)

    def loss_fn(batch, epoch):
        loss = net(x[batch]).pow(2).mean()
        return loss * float("nan") if epoch == 1 else loss

    config = LoopConfig(epochs=3, batch_size=4, lr=0.1)
    with pytest.raises(DivergenceError, match="epoch 1") as info:
        train(
            [net],
            loss_fn,
            n=8,
            config=config,
            device=torch.device("cpu"),
            generator=torch.Generator().manual_seed(0),
        )
    assert np.isnan(info.value.value)


def test_training_reduces_a_simple_loss():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    x, y = torch.randn(64, 3), torch.randn(64, 1)
    config = LoopConfig(epochs=30, batch_size=16, lr=0.05)
    history = train(
        [net],
        lambda b, e: (net(x[b]) - y[b]).pow(2).mean(),
        n=64,
        config=config,
        device=torch.device("cpu"),
        generator=torch.Generator().manual_seed(0),
    )
    assert len(history) == 30 and history[-1] < 0.7 * history[0]


@pytest.mark.parametrize("spec", ["tpu", "cuda:0", "cpu:x"])
def test_unusable_devices_are_rejected(spec):
    if spec.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(CmhbenchError, match="device"):
        resolve_device(spec)


def test_auto_device_is_cuda_only_when_available():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("reduction", ["sum", "mean", "violating", "hardest"])
def test_max_margin_loss_is_zero_when_pairs_are_separated(reduction):
    h = torch.eye(4)  # each item matches only its pair: margins of 1 are satisfied
    assert float(max_margin_loss(h, h, 0.5, reduction)) == 0.0
    shuffled = h[[1, 0, 3, 2]]
    assert float(max_margin_loss(h, shuffled, 0.5, reduction)) > 0.0


def test_max_margin_loss_reductions_by_hand():
    hx = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    hy = torch.tensor([[0.6, 0.8], [0.0, 1.0]])
    # sims = [[0.6, 0], [0.8, 1]]; i2t costs: row0 [., 0.2+0-0.6]=0, row1 [0.2+0.8-1, .]=0
    # t2i costs: col0 [., 0.2+0.8-0.6]=0.4, col1 [0.2+0-1, .]=0
    assert float(max_margin_loss(hx, hy, 0.2, "sum")) == pytest.approx(0.4 / 2)
    assert float(max_margin_loss(hx, hy, 0.2, "mean")) == pytest.approx(0.4 / 4)
    assert float(max_margin_loss(hx, hy, 0.2, "violating")) == pytest.approx(0.4)
    assert float(max_margin_loss(hx, hy, 0.2, "hardest")) == pytest.approx(0.4 / 2)


@pytest.fixture(scope="module")
def easy_data():
    return generate(SyntheticConfig(n_items=1200, n_query=200, n_train=None), seed=0)


def train_and_score(data, **params):
    method = TripletHashing(32, **SMALL, **params)
    method.fit(data.part("train", with_labels=False), seed=0)
    codes, scores = encode_and_score(method, data)
    return method, codes, scores


def test_fit_on_a_tiny_set_uses_one_smaller_batch():
    data = PairedSet(
        np.random.rand(10, 4).astype(np.float32), np.random.rand(10, 3).astype(np.float32)
    )
    method = TripletHashing(8, **SMALL, epochs=2)
    method.fit(data)
    assert len(method.training_history()) == 2
