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
    params = UGACHParams(hidden=16)
    nets = [PairNets(8, 6, params.hidden, 8, params.init_std) for _ in range(2)]
    tensors = {"image": torch.as_tensor(image), "text": torch.as_tensor(text)}
    training = UGACHTraining(params, 8, tensors, torch.Generator().manual_seed(0), *nets)
    triplets = training.adversarial_triplets("i2t")
    assert len(triplets) == 2 * len(image)  # two per query
    graph = cross_neighbours(tensors["image"], tensors["text"], 10)
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
