"""UGACH's correlation graph, its samplers and its losses follow the official code."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.methods.ugach import (
    UGACH,
    PairNets,
    UGACHParams,
    UGACHTraining,
    cross_neighbours,
    distinct_neighbours,
    is_neighbour,
)


def views(n=40, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 3))
    image = latent @ rng.standard_normal((3, 8)) + 0.2 * rng.standard_normal((n, 8))
    text = latent @ rng.standard_normal((3, 6)) + 0.2 * rng.standard_normal((n, 6))
    return image.astype(np.float32), text.astype(np.float32)


def test_the_graph_is_knn_cross5_five_image_then_five_text_neighbours(monkeypatch):
    import cmhbench.methods.ugach as ugach

    image, text = views()
    monkeypatch.setattr(ugach, "DISTANCE_ROWS", 7)  # several blocks
    graph = cross_neighbours(torch.as_tensor(image), torch.as_tensor(text), 10).numpy()
    for view, columns in ((image, slice(0, 5)), (text, slice(5, 10))):
        distances = np.linalg.norm(view[:, None] - view[None], axis=-1)
        expected = np.sort(np.argsort(distances, axis=1)[:, :5], axis=1)
        assert np.array_equal(np.sort(graph[:, columns], axis=1), expected)
    assert (graph[:, 0] == np.arange(len(image))).all()  # itself, nearest by image


def test_repeated_neighbours_count_once_and_membership_is_by_row():
    graph = torch.tensor([[0, 3, 3, 1], [1, 0, 2, 1]])
    assert distinct_neighbours(graph).tolist() == [
        [True, True, False, True],
        [True, True, True, False],
    ]
    items = torch.tensor([[3, 2], [2, 3]])
    assert is_neighbour(graph, items).tolist() == [[True, False], [True, False]]


def test_triplets_pair_a_neighbour_with_a_non_neighbour():
    image, text = views()
    training = training_on(image, text)
    triplets = training.adversarial_triplets("i2t")
    assert len(triplets) == 2 * len(image)  # two per query
    graph = cross_neighbours(torch.as_tensor(image), torch.as_tensor(text), 10)
    assert torch.equal(training.neighbours, graph)
    positives = is_neighbour(graph[triplets[:, 0]], triplets[:, 1:2])[:, 0]
    negatives = is_neighbour(graph[triplets[:, 0]], triplets[:, 2:3])[:, 0]
    assert positives.all() and not negatives.any()


def test_too_few_pairs_is_a_clear_error():
    image, text = views(n=8)
    with pytest.raises(CmhbenchError, match="at least neighbours \\+ samples = 12"):
        UGACH(8, hidden=16).fit(PairedSet(image, text))


def test_codes_are_the_discriminator_s():
    image, text = views()
    method = UGACH(8, hidden=16, epochs=2, pretrain_epochs=2)
    method.fit(PairedSet(image, text), seed=1)
    with torch.no_grad():
        outputs = method.discriminator.image(torch.as_tensor(image)).numpy()
    assert np.array_equal(method.encode(image, "image"), np.where(outputs >= 0, 1, -1))


def training_on(image, text, dtype=torch.float32, **settings):
    params = UGACHParams(hidden=16, **settings)
    torch.manual_seed(0)
    nets = [
        PairNets(image.shape[1], text.shape[1], params.hidden, 8, params.init_std).to(dtype)
        for _ in range(2)
    ]
    tensors = {
        "image": torch.as_tensor(image, dtype=dtype),
        "text": torch.as_tensor(text, dtype=dtype),
    }
    return UGACHTraining(params, 8, tensors, torch.Generator().manual_seed(0), *nets)


def test_pretraining_pairs_each_query_with_its_own_pair_and_any_other_item():
    image, text = views()
    training = training_on(image, text)
    first, second = training.pretraining_triplets(), training.pretraining_triplets()
    for triplets in (first, second):
        assert sorted(triplets[:, 0].tolist()) == list(range(len(image)))  # each query once
        assert torch.equal(triplets[:, 1], triplets[:, 0])  # its own pair
        assert (triplets[:, 2] != triplets[:, 0]).all()
    neighbours = is_neighbour(training.neighbours[first[:, 0]], first[:, 2:3])[:, 0]
    assert neighbours.any()  # neighbours are not kept out
    assert not torch.equal(first, second)  # each direction draws and shuffles its own


def test_a_step_decays_the_weights_once_per_code_step():
    image, text = views()
    training = training_on(image, text)
    optimizer = training.d_optimizer
    before = [t.detach().clone() for t in training.discriminator.parameters()]
    loss = sum(t.sum() for t in training.discriminator.parameters()) * 0.0
    training.step(optimizer, loss, 5)
    shrink = 1 - training.params.discriminator_lr * training.params.weight_decay * 5
    for old, new in zip(before, training.discriminator.parameters(), strict=True):
        assert torch.allclose(new, old * shrink)


def movement(training, network, run):
    nets = getattr(training, network)
    before = torch.cat([t.detach().ravel().clone() for t in nets.parameters()])
    run(training)
    return torch.cat([t.detach().ravel() for t in nets.parameters()]) - before


@pytest.mark.parametrize("network", ["discriminator", "generator"])
def test_a_batched_step_moves_as_far_as_the_code_s_one_sample_steps(network):
    import copy

    image, text = views()
    # float64: float32 rounding of the many small steps is about 1% of such a movement
    lr = {"discriminator_lr": 1e-4, "generator_lr": 1e-4}
    start = training_on(image, text, torch.float64, **lr)
    triplets = start.adversarial_triplets("i2t")
    draws = start.generator_samples("i2t")

    def one_pass(batch, per_sample=True):
        def run(training):
            if network == "discriminator":
                training.train_discriminator(
                    triplets, "i2t", training.d_optimizer, batch, 0, per_sample=per_sample
                )
            else:
                training.generator_pass(*draws, "i2t", batch, 0)

        return movement(copy.deepcopy(start), network, run)

    code = one_pass(1)
    batched = one_pass(8)
    assert ((batched - code).norm() / code.norm()) < 0.01
    if network == "discriminator":  # version 1 averaged the batch: an eighth as far
        averaged = one_pass(8, per_sample=False)
        assert averaged.norm() / code.norm() < 0.2
