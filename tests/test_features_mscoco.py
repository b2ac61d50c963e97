"""The raw MS-COCO 2014 layout: the images with an object instance, the caption bag of
words, the file the loader reads, and a run on it."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from conftest import TINY_EXTRACTION, cvh_cell_on
from PIL import Image

from cmhbench.datasets import dataset_loader
from cmhbench.errors import CmhbenchError
from cmhbench.features import mscoco
from cmhbench.features.field import make_mscoco

CATEGORIES = [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}, {"id": 3, "name": "car"}]
# split: {image ID: (captions, category IDs)}; 205 has no instance, 104 is not a JPEG
IMAGES = {
    "train2014": {
        101: (["A dog runs.", "A brown dog."], [18]),
        104: (["A man drives a car."], [1, 3]),
        102: (["A person with a dog", "Two people"], [1, 18, 18]),
        103: (["A red car parked."], [3]),
    },
    "val2014": {
        201: (["A car on a road"], [3]),
        205: (["An empty street"], []),
        202: (["A dog and a person."], [18, 1]),
        203: (["People in a car"], [1, 3]),
    },
}
UNREADABLE = 104


@pytest.fixture
def raw(tmp_path):
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, images in IMAGES.items():
        (root / split).mkdir()
        files, captions, instances = [], [], []
        for image_id, (texts, categories) in images.items():
            name = f"COCO_{split}_{image_id:012d}.jpg"
            files.append({"id": image_id, "file_name": name})
            captions += [{"image_id": image_id, "caption": text} for text in texts]
            instances += [{"image_id": image_id, "category_id": c} for c in categories]
            if image_id == UNREADABLE:
                (root / split / name).write_bytes(b"not a JPEG")
            else:
                pixels = rng.integers(0, 256, size=(32, 48, 3), dtype=np.uint8)
                Image.fromarray(pixels, "RGB").save(root / split / name)
        caption_file = {"images": files, "annotations": captions}
        instance_file = {"images": files, "annotations": instances, "categories": CATEGORIES}
        (root / "annotations" / f"captions_{split}.json").write_text(json.dumps(caption_file))
        (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(instance_file))
    return root


def test_images_with_an_instance_train_then_val_by_id(raw):
    chosen = mscoco.read_mscoco(raw)
    assert chosen.ids == [101, 102, 103, 104, 201, 202, 203]
    assert chosen.label_names == ["person", "car", "dog"]  # by category ID
    assert chosen.total == 8 and chosen.without_labels == 1
    assert chosen.labels[1].tolist() == [1, 0, 1] and chosen.labels.dtype == np.uint8
    assert chosen.captions[1] == "A person with a dog Two people"
    assert chosen.images[4] == raw / "val2014" / "COCO_val2014_000000000201.jpg"


def test_a_missing_or_foreign_annotation_file_is_one_clear_error(raw):
    (raw / "annotations" / "instances_val2014.json").write_text('{"images": []}')
    with pytest.raises(CmhbenchError, match=r"instances_val2014.json: no annotations, categories"):
        mscoco.read_mscoco(raw)
    (raw / "annotations" / "captions_train2014.json").unlink()
    with pytest.raises(CmhbenchError, match=r"captions_train2014.json: not found \(MS-COCO 2014"):
        mscoco.read_mscoco(raw)


@pytest.mark.usefixtures("tiny_backbone")
def test_the_file_is_read_by_the_loader_and_run(raw, tmp_path):
    out = tmp_path / "features"
    [path] = make_mscoco(raw, out, vocabulary_size=4, **TINY_EXTRACTION)
    assert path.name == "mscoco-caption-bow.h5"
    with h5py.File(path) as f:
        assert f["XAll"].shape == (6, 4096) and f["YAll"].shape == (6, 4)
        assert f["LAll"].shape == (6, 3)
    sidecar = json.loads((out / "mscoco-features.json").read_text())
    assert sidecar["dropped"] == [{"id": 104, "image": "train2014/COCO_train2014_000000000104.jpg"}]
    # words in the most readable items (104's caption does not count): a in 6, car and dog
    # in 3 (ties alphabetical), people in 2
    assert sidecar["text"]["vocabulary"] == ["a", "car", "dog", "people"]
    assert "Doc2Vec" in sidecar["text"]["rule"] and sidecar["items"] == 6
    # a dozen items: the last few are the queries (the field's 5,000 of 122,218)
    data = dataset_loader("mscoco:queries=2", data_root=str(out)).load()
    assert data.text.shape == (6, 4) and data.query_idx.tolist() == [4, 5]
    record = cvh_cell_on("mscoco:queries=2", tmp_path / "runs", data_root=out)
    assert record["status"] == "ok", record["error"]
