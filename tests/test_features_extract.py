"""Batched, resumable image feature extraction (``cmhbench.features.extract``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from cmhbench.errors import CmhbenchError
from cmhbench.features import extract as extraction
from cmhbench.features.images import read_image

MANIFEST = {"backbone": "tiny", "weights": "random", "seed": 0}


class Tiny(torch.nn.Module):
    """A small stand-in for a backbone: channel means and a fixed projection."""

    def __init__(self):
        super().__init__()
        self.projection = torch.nn.Linear(3, 5)
        torch.nn.init.normal_(self.projection.weight, generator=torch.Generator().manual_seed(0))
        torch.nn.init.zeros_(self.projection.bias)
        self.calls = 0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += len(images)
        return self.projection(images.mean(dim=(2, 3)))


class Killed(Exception):
    pass


class DiesAfter(Tiny):
    """Raises once it has seen ``limit`` images, as a killed run stops."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.calls >= self.limit:
            raise Killed
        return super().forward(images)


@pytest.fixture
def images(tmp_path):
    """Eleven small JPEGs of random colours and sizes and one file that is no image."""
    rng = np.random.default_rng(0)
    paths = []
    for index in range(12):
        path = tmp_path / "raw" / f"im{index + 1}.jpg"
        path.parent.mkdir(exist_ok=True)
        if index == 6:
            path.write_bytes(b"this is not a JPEG")
        else:
            height, width = rng.integers(230, 300, size=2)
            pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            Image.fromarray(pixels, "RGB").save(path, quality=90)
        paths.append(path)
    return paths


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(extraction, "CHUNK", 4)


def test_features_in_input_order_and_the_unreadable_listed(images, tmp_path, small_chunks):
    model = Tiny()
    found = extraction.extract(
        images, model, tmp_path / "out", MANIFEST, batch_size=3, workers=0, progress=False
    )
    assert found.unreadable == [6]
    with torch.no_grad():
        direct = model(torch.stack([read_image(p) for i, p in enumerate(images) if i != 6])).numpy()
    np.testing.assert_allclose(found.features, direct, rtol=1e-5, atol=1e-6)
    assert found.features.shape == (11, 5) and found.features.dtype == np.float32
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "chunk-000000.npz", "chunk-000001.npz", "chunk-000002.npz", "manifest.json",
    ]  # fmt: skip


@pytest.mark.slow  # starts DataLoader worker processes
def test_worker_processes_give_the_same_features(images, tmp_path, small_chunks):
    serial = extraction.extract(images, Tiny(), tmp_path / "a", MANIFEST, workers=0, progress=False)
    parallel = extraction.extract(
        images, Tiny(), tmp_path / "b", MANIFEST, workers=2, progress=False
    )
    np.testing.assert_array_equal(serial.features, parallel.features)
    assert serial.unreadable == parallel.unreadable


def test_a_killed_extraction_resumes_after_its_last_written_chunk(images, tmp_path, small_chunks):
    folder = tmp_path / "out"
    with pytest.raises(Killed):  # dies in the second chunk: the first is kept
        extraction.extract(
            images, DiesAfter(6), folder, MANIFEST, batch_size=2, workers=0, progress=False
        )
    assert [p.name for p in sorted(folder.glob("chunk-*"))] == ["chunk-000000.npz"]
    resumed = Tiny()
    found = extraction.extract(
        images, resumed, folder, MANIFEST, batch_size=2, workers=0, progress=False
    )
    assert resumed.calls == 7  # images 5-12 but the unreadable 7th
    whole = extraction.extract(  # the same batches: a row's float sums depend on its batch
        images, Tiny(), tmp_path / "whole", MANIFEST, batch_size=2, workers=0, progress=False
    )
    np.testing.assert_array_equal(found.features, whole.features)
    assert found.unreadable == whole.unreadable == [6]


def test_chunks_of_another_extraction_are_never_mixed_in(images, tmp_path, small_chunks):
    folder = tmp_path / "out"
    extraction.extract(images, Tiny(), folder, MANIFEST, workers=0, progress=False)
    other = {**MANIFEST, "seed": 1}
    with pytest.raises(
        CmhbenchError, match=r"holds chunks of another extraction \(differs in seed\)"
    ):
        extraction.extract(images, Tiny(), folder, other, workers=0, progress=False)


def test_no_decodable_image_is_one_clear_error(tmp_path):
    paths = [tmp_path / f"bad{i}.jpg" for i in range(3)]
    for path in paths:
        path.write_text("no image")
    with pytest.raises(CmhbenchError, match="none of the 3 images could be decoded"):
        extraction.extract(paths, Tiny(), tmp_path / "out", MANIFEST, workers=0, progress=False)
