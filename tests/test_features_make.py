"""Raw data to the suite's feature files: vocabulary rules, the generic layout, the
written files and their sidecar (``cmhbench features``)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from conftest import cmhbench_command, features_command
from PIL import Image

from cmhbench.datasets import load_dataset
from cmhbench.errors import CmhbenchError
from cmhbench.features.layouts import read_generic
from cmhbench.features.make import make_generic
from cmhbench.features.texts import bag_of_words, vocabulary, words
from cmhbench.run.config import GridSpec
from cmhbench.run.grid import run_grid

TAGS = [
    "sky sea",
    "sky",
    "dog Sky",
    "dog",
    "sea tree",
    "tree",
    "sky sea",
    "dog tree",
    "sea",
    "sky",
    "tree",
    "cat",
]
LABELS = [
    *("outdoor", "outdoor", "animal|outdoor", "animal", "outdoor", "plant"),
    *("outdoor", "animal|plant", "outdoor", "outdoor", "plant", "animal"),
]


def test_words_are_lower_case_alphanumeric_and_counted_once_per_text():
    assert words("Sky, sky! SEA-view 42") == {"sky", "sea", "view", "42"}


def test_the_vocabulary_is_the_words_in_most_texts_ties_alphabetical():
    texts = ["b a", "a c", "c b", "a", "d"]
    assert vocabulary(texts, 3) == ["a", "b", "c"]  # a: 3 texts; b, c: 2; d: 1
    assert vocabulary(texts, 10, min_items=2) == ["a", "b", "c"]
    np.testing.assert_array_equal(bag_of_words(["c a a", "z"], ["a", "c"]), [[1, 1], [0, 0]])


@pytest.fixture
def raw(tmp_path):
    """Twelve items in the generic layout; the seventh image is not an image."""
    folder = tmp_path / "toyset"
    (folder / "images").mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = ["image\ttext\tlabels"]
    for index, (tags, labels) in enumerate(zip(TAGS, LABELS, strict=True)):
        path = folder / "images" / f"im{index + 1}.jpg"
        if index == 6:
            path.write_bytes(b"not a JPEG")
        else:
            pixels = rng.integers(0, 256, size=(240, 260, 3), dtype=np.uint8)
            Image.fromarray(pixels, "RGB").save(path)
        rows.append(f"images/{path.name}\t{tags}\t{labels}")
    (folder / "items.tsv").write_text("\n".join(rows) + "\n")
    return folder


def test_the_generic_layout_gives_items_in_file_order_and_sorted_label_columns(raw):
    items = read_generic(raw)
    assert items.label_names == ["animal", "outdoor", "plant"]
    assert items.images[2] == raw / "images" / "im3.jpg" and items.texts[2] == "dog Sky"
    np.testing.assert_array_equal(items.labels[[0, 2, 7]], [[0, 1, 0], [1, 1, 0], [1, 0, 1]])
    assert items.labels.dtype == np.uint8


def test_a_bad_generic_layout_is_one_clear_error(tmp_path):
    with pytest.raises(
        CmhbenchError, match=r"items\.tsv: not found \(expected columns image, text, labels\)"
    ):
        read_generic(tmp_path)
    (tmp_path / "items.tsv").write_text("image\ttags\nim1.jpg\tsky\n")
    with pytest.raises(CmhbenchError, match=r"missing column\(s\) text, labels"):
        read_generic(tmp_path)
    (tmp_path / "items.tsv").write_text("image\ttext\tlabels\nim1.jpg\tsky\tday\nim2.jpg\tsea\t\n")
    with pytest.raises(CmhbenchError, match=r"line\(s\) \[3\] have no labels"):
        read_generic(tmp_path)


def make(raw, out):
    return make_generic(
        raw, out, backbone="tiny", weights="random", seed=5, workers=0, progress=False
    )


def test_the_written_file_is_what_the_suite_reads_and_the_sidecar_says_how(
    raw, tmp_path, tiny_backbone
):
    path = make(raw, tmp_path / "out")
    assert path == tmp_path / "out" / "toyset.npz"
    with np.load(path) as stored:
        assert set(stored.files) == {"image", "text", "labels"}
        assert stored["image"].shape == (11, 4096) and stored["image"].dtype == np.float32
        assert stored["text"].shape == (11, 5) and stored["labels"].shape == (11, 3)
        np.testing.assert_array_equal(stored["labels"][6], [1, 0, 1])  # item 8: the 7th is dropped
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["dropped"] == [{"position": 6, "image": "images/im7.jpg"}]
    assert sidecar["image"]["weights"] == "random" and sidecar["image"]["seed"] == 5
    # the dropped item's "sky sea" does not count: sky and tree in 4 texts, dog and sea in 3
    assert sidecar["text"]["vocabulary"] == ["sky", "tree", "dog", "sea", "cat"]
    assert sidecar["labels"] == ["animal", "outdoor", "plant"] and sidecar["items"] == 11
    data = load_dataset(str(path))
    assert data.image.shape == (11, 4096) and data.labels.shape == (11, 3)
    [record] = run_grid(
        GridSpec(
            datasets=[str(path)], methods=["cvh"], bits=[4], out=tmp_path / "runs", progress=False
        )
    )
    assert record["status"] == "ok"


def test_the_same_seed_writes_the_same_arrays(raw, tmp_path, tiny_backbone):
    first, second = make(raw, tmp_path / "a"), make(raw, tmp_path / "b")
    with np.load(first) as a, np.load(second) as b:
        assert all(np.array_equal(a[key], b[key]) for key in a.files)


@pytest.mark.slow  # VGG-19 on the CPU, in a new process
def test_the_features_command_then_a_run_on_its_file(raw, tmp_path):
    out = tmp_path / "out"
    made = features_command("generic", raw, out)
    assert made.returncode == 0, made.stderr
    assert f"wrote {out / 'toyset.npz'}" in made.stdout
    ran = subprocess.run(
        [*cmhbench_command(), "run", "--datasets", str(out / "toyset.npz"), "--methods", "cvh",
         "--bits", "4", "--out", str(tmp_path / "runs"), "--no-progress"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
