"""Backbones with torchvision's parameter names, their weights, and ImageNet
preprocessing (``cmhbench.features``)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch
from PIL import Image

from cmhbench.errors import CmhbenchError
from cmhbench.features.backbones import build
from cmhbench.features.catalogue import get_backbone
from cmhbench.features.images import CROP, MEAN, STD, preprocess, resized_size
from cmhbench.features.weights import load_backbone

VGG19 = get_backbone("vgg19")
# torchvision's vgg19 state_dict, written out: (index in ``features``, in, out channels)
CONVOLUTIONS = [
    (0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128),
    (10, 128, 256), (12, 256, 256), (14, 256, 256), (16, 256, 256),
    (19, 256, 512), (21, 512, 512), (23, 512, 512), (25, 512, 512),
    (28, 512, 512), (30, 512, 512), (32, 512, 512), (34, 512, 512),
]  # fmt: skip
LINEARS = [(0, 25088, 4096), (3, 4096, 4096), (6, 4096, 1000)]


def test_vgg19_has_torchvision_s_parameter_names_and_shapes():
    expected = {}
    for index, fan_in, out in CONVOLUTIONS:
        expected[f"features.{index}.weight"] = (out, fan_in, 3, 3)
        expected[f"features.{index}.bias"] = (out,)
    for index, fan_in, out in LINEARS:
        expected[f"classifier.{index}.weight"] = (out, fan_in)
        expected[f"classifier.{index}.bias"] = (out,)
    found = {key: tuple(value.shape) for key, value in build(VGG19).state_dict().items()}
    assert found == expected


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))


def fc7(model, images: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(images)


@pytest.mark.slow  # VGG-19's 143 million weights, drawn or saved
def test_seeded_random_weights_give_the_same_fc7_and_another_seed_does_not(images):
    first, made = load_backbone(VGG19, "random", seed=0)
    again, _ = load_backbone(VGG19, "random", seed=0)
    other, _ = load_backbone(VGG19, "random", seed=1)
    features = fc7(first, images)
    assert features.shape == (2, 4096) and bool((features >= 0).all())  # after fc7's ReLU
    assert torch.equal(features, fc7(again, images))
    assert not torch.equal(features, fc7(other, images))
    assert made == {"weights": "random", "seed": 0} and not first.training


@pytest.mark.slow  # VGG-19's 143 million weights, drawn or saved
def test_a_weights_file_loads_and_is_named_by_its_hash(tmp_path, images):
    random, _ = load_backbone(VGG19, "random", seed=3)
    path = tmp_path / "vgg19.pth"
    torch.save(random.state_dict(), path)
    loaded, made = load_backbone(VGG19, str(path))
    assert torch.equal(fc7(loaded, images), fc7(random, images))
    assert made == {
        "weights": str(path),
        "weights_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


@pytest.mark.slow  # VGG-19's 143 million weights, drawn or saved
def test_bad_weights_are_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(
        CmhbenchError, match=r"no weights given.*vgg19-dcbb9e9d\.pth.*--weights random"
    ):
        load_backbone(VGG19, None)
    with pytest.raises(CmhbenchError, match=r"absent\.pth: no such weights file"):
        load_backbone(VGG19, str(tmp_path / "absent.pth"))
    text = tmp_path / "notes.pth"
    text.write_text("not weights")
    with pytest.raises(CmhbenchError, match=r"notes\.pth: not a torch weights file"):
        load_backbone(VGG19, str(text))
    state = build(VGG19).state_dict()
    torch.save({key: value for key, value in state.items() if "classifier.6" not in key}, text)
    with pytest.raises(
        CmhbenchError, match=r"not torchvision's vgg19 weights \(missing \['classifier.6"
    ):
        load_backbone(VGG19, str(text))
    torch.save(state | {"classifier.6.bias": torch.zeros(10)}, text)
    with pytest.raises(
        CmhbenchError, match=r"classifier.6.bias has shape \(10,\), expected \(1000,\)"
    ):
        load_backbone(VGG19, str(text))


@pytest.mark.slow  # VGG-19's 143 million weights, drawn or saved
def test_a_cached_torchvision_download_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    (tmp_path / "checkpoints").mkdir()
    cached = tmp_path / "checkpoints" / "vgg19-dcbb9e9d.pth"
    torch.save(load_backbone(VGG19, "random")[0].state_dict(), cached)
    assert load_backbone(VGG19, None)[1]["weights"] == str(cached)


@pytest.mark.parametrize(
    ("size", "resized"),
    [
        ((400, 300), (341, 256)),
        ((300, 400), (256, 341)),
        ((256, 256), (256, 256)),
        ((500, 333), (384, 256)),
    ],
)
def test_the_shorter_side_goes_to_256_and_the_longer_is_truncated(size, resized):
    assert resized_size(*size) == resized


def test_preprocessing_crops_the_centre_and_normalises_per_channel():
    width, height = 512, 256  # already at size: no resampling
    ramp = np.tile(np.arange(width, dtype=np.uint8), (height, 1))  # red = column mod 256
    pixels = np.stack([ramp, np.full_like(ramp, 10), np.full_like(ramp, 200)], axis=-1)
    tensor = preprocess(Image.fromarray(pixels, "RGB"))
    assert tensor.shape == (3, CROP, CROP) and tensor.dtype == torch.float32
    left = (width - CROP) // 2  # 144
    red = (np.arange(left, left + CROP) % 256 / 255.0 - MEAN[0]) / STD[0]
    np.testing.assert_allclose(tensor[0, 0].numpy(), red, rtol=1e-6)
    np.testing.assert_allclose(tensor[1].numpy(), (10 / 255 - MEAN[1]) / STD[1], rtol=1e-6)
    np.testing.assert_allclose(tensor[2].numpy(), (200 / 255 - MEAN[2]) / STD[2], rtol=1e-6)


def test_grey_and_palette_images_become_three_channels():
    grey = Image.fromarray(np.full((300, 400), 128, np.uint8), "L")
    assert preprocess(grey).shape == (3, CROP, CROP)
    assert preprocess(grey.convert("P")).shape == (3, CROP, CROP)
