"""What every registered method (and a third-party plugin, and the README's example of
adding a method) must do, checked the same way for each with the small settings it
declares (``quick_settings``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from cmhbench.data import CrossModalData
from cmhbench.datasets import load_dataset
from cmhbench.errors import CmhbenchError
from cmhbench.method import Method, encode_parts
from cmhbench.methods import BUILTIN
from cmhbench.metrics import evaluate_both_directions
from cmhbench.registry import DATASETS, get_method
from cmhbench.registry import METHODS as REGISTRY
from cmhbench.run.config import GridSpec
from cmhbench.run.grid import run_grid

# The test plugin stands for third-party methods; myhash is the README's example.
METHODS = [*BUILTIN, "projection", "myhash"]
README = Path(__file__).parent.parent / "README.md"
# Random codes score 0.25 on synthetic. SSAH's quick schedule is 24 steps of its five
# stages; its defaults reach 0.64 at 16 bits. ACMR's label-sharing positives hold it
# near 0.35 on this multi-label data (0.60 with its code's positives="pair").
LEARNS_ABOVE = {"ssah": 0.3, "acmr": 0.3}
# The shallow methods regress codes on features: on synthetic's 512 training items
# (512-d images) their hash functions interpolate and score near random (CMFH 0.30,
# FSH 0.26, DLFH 0.26, DCH 0.30; FOMH, on 512 anchors, 0.38; see their docstrings), so
# they show that they learn on more items.
LEARNS_ON = {name: "synthetic:train_size=2000" for name in ("cmfh", "fsh", "dlfh", "dch", "fomh")}


def register_readme_example() -> None:
    """Run the README's "Adding a method" example, which registers ``myhash``."""
    section = README.read_text().split("## Adding a method", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example, "the README's 'Adding a method' section shows a method"
    exec(compile(example.group(1), "README.md (Adding a method)", "exec"), {})


@pytest.fixture
def method_class(request, plugin) -> type[Method]:
    if request.param == "myhash":
        register_readme_example()
    yield get_method(request.param)
    REGISTRY._loaded.pop("myhash", None)


@pytest.fixture(scope="module")
def data() -> CrossModalData:
    return load_dataset("synthetic")


def trained(cls: type[Method], data: CrossModalData, seed: int = 0, device: str = "cpu") -> Method:
    method = cls(32, **cls.quick_settings)
    method.fit(data.part("train", with_labels=method.uses_labels), device=device, seed=seed)
    return method


@pytest.mark.parametrize("method_class", METHODS, indirect=True)
def test_every_hyper_parameter_names_its_source(method_class):
    for name, entry in method_class.defaults().items():
        assert entry["source"].strip(), f"{method_class.name}.{name} names no source"
    method_class(16, **method_class.quick_settings)  # the quick settings are valid


@pytest.mark.parametrize("method_class", METHODS, indirect=True)
def test_per_dataset_defaults_name_registered_datasets_and_real_fields(method_class):
    fields = {item.name for item in dataclasses.fields(method_class.Params)}
    for dataset, settings in method_class.dataset_defaults.items():
        assert dataset in DATASETS.names(), f"{method_class.name}: {dataset} is not registered"
        assert set(settings) <= fields, f"{method_class.name}: {set(settings) - fields}"
        method_class(16, **settings)


@pytest.mark.parametrize("method_class", METHODS, indirect=True)
def test_encode_before_fit_is_a_clear_error(method_class):
    method = method_class(16, **method_class.quick_settings)
    with pytest.raises(CmhbenchError, match="before fit"):
        method.encode(np.zeros((2, 4), np.float32), "image")


@pytest.mark.parametrize("method_class", METHODS, indirect=True)
def test_fit_gets_the_training_part_only_and_labels_only_when_supervised(
    method_class, tmp_path, monkeypatch, data
):
    seen = []

    def spy(self, training, **options):
        seen.append(training)
        raise RuntimeError("spied")  # the cell fails; nothing needs training

    monkeypatch.setattr(method_class, "fit", spy)
    grid = GridSpec(methods=[method_class.name], bits=[8], out=tmp_path, progress=False)
    [record] = run_grid(grid)
    [training] = seen
    assert (training.labels is not None) is method_class.info.supervised
    assert record["trained_with_labels"] is method_class.info.supervised
    assert record["error"]["message"] == "spied"
    assert np.array_equal(training.image, data.image[data.train_idx])
    if training.labels is not None:
        assert np.array_equal(training.labels, data.labels[data.train_idx])
    queries = {row.tobytes() for row in data.image[data.query_idx]}
    assert not any(row.tobytes() in queries for row in training.image)


def assert_int8_signs(found: dict[str, np.ndarray], data: CrossModalData) -> None:
    for key, array in found.items():
        part = key.split("_")[1]
        assert array.shape == (data.indices(part).size, 32) and array.dtype == np.int8, key
        assert set(np.unique(array)) <= {-1, 1}, key


def assert_learns(name: str, found: dict[str, np.ndarray], data: CrossModalData) -> None:
    """mAP of ``name``'s codes clears its bar in both directions."""
    labels = data.labels
    scores = evaluate_both_directions(found, labels[data.query_idx], labels[data.retrieval_idx])
    bar = LEARNS_ABOVE.get(name, 0.4)
    assert scores["i2t"].map > bar and scores["t2i"].map > bar, scores


@pytest.mark.slow
@pytest.mark.parametrize("method_class", METHODS, indirect=True)
def test_trains_to_int8_signs_that_its_seed_fixes_and_learns(method_class, data):
    """Two fits with one seed, on the data the method shows that it learns on (two
    fits, not three: CMFH's take 25 s each)."""
    if method_class.name in LEARNS_ON:
        data = load_dataset(LEARNS_ON[method_class.name])
    first = encode_parts(trained(method_class, data), data)
    assert_int8_signs(first, data)
    again = encode_parts(trained(method_class, data), data)
    assert all(np.array_equal(first[key], again[key]) for key in first)
    if method_class.name in BUILTIN:  # a plugin here is a fixture, not a method to rank
        assert_learns(method_class.name, first, data)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", BUILTIN)
def test_trains_on_cuda_to_int8_signs_that_learn(name):
    """``--device cuda`` for every method: the deep ones train there, the shallow ones
    take the argument and train on the CPU. Same-seed codes may differ in a few bits
    on a GPU (README, Determinism), so only their form and mAP are checked."""
    data = load_dataset(LEARNS_ON.get(name, "synthetic"))
    found = encode_parts(trained(get_method(name), data, device="cuda"), data)
    assert_int8_signs(found, data)
    assert_learns(name, found, data)
