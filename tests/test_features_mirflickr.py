"""The raw MIRFlickr-25K layout: the field's vocabulary, label and selection rules on a
hand-made distribution, UCCH's three files written from it, and a run on them."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from conftest import (
    TINY_EXTRACTION,
    cmhbench_command,
    cvh_cell_on,
    features_command,
    read_ucch_files,
)
from PIL import Image

from cmhbench.datasets import dataset_loader
from cmhbench.errors import CmhbenchError
from cmhbench.features import mirflickr
from cmhbench.features.field import make_mirflickr

# ID: tags (None: no tag file). 3 has only a rare tag, 5 no tag file, 7 no label.
TAGS = {
    1: "sky\nwater", 2: "dog", 3: "rare", 4: "sky\ndog\nrare", 5: None, 6: "water",
    7: "sky", 8: "dog\nwater", 9: "sky", 10: "water\nsky", 11: "dog", 12: "sky\ndog",
}  # fmt: skip
CONCEPTS = {  # the annotation files; *_r1 and README are not labels
    "sky": [1, 4, 9, 10, 12],
    "animals": [2, 4, 8, 11, 12, 3],
    "water": [1, 6, 8, 10, 5],
    "sky_r1": [1, 7],
}
COMMON_TAGS = "sky 5210\nwater 2210\ndog 25\nrare 19\n"  # rare occurs < 20 times: not a word
UNREADABLE = 9


@pytest.fixture
def raw(tmp_path):
    """Twelve images as the distribution unpacks; image 9 is not a JPEG."""
    root = tmp_path / "raw"
    images = root / "mirflickr"
    (images / "meta" / "tags").mkdir(parents=True)
    (images / "doc").mkdir()
    (images / "doc" / "common_tags.txt").write_text(COMMON_TAGS)
    rng = np.random.default_rng(0)
    for i, tags in TAGS.items():
        path = images / f"im{i}.jpg"
        if i == UNREADABLE:
            path.write_bytes(b"not a JPEG")
        else:
            pixels = rng.integers(0, 256, size=(40, 56, 3), dtype=np.uint8)
            Image.fromarray(pixels, "RGB").save(path)
        if tags is not None:
            (images / "meta" / "tags" / f"tags{i}.txt").write_text(tags + "\n")
    annotations = root / "mirflickr25k_annotations_v080"
    annotations.mkdir()
    for name, ids in CONCEPTS.items():
        (annotations / f"{name}.txt").write_text("".join(f"{i}\n" for i in ids))
    (annotations / "README.txt").write_text("24 concepts, and _r1 files\n")
    return root


def test_the_field_s_vocabulary_labels_and_selection(raw):
    chosen = mirflickr.read_mirflickr(raw)
    assert chosen.vocabulary == ["sky", "water", "dog"]  # the file's order, count >= 20
    assert chosen.label_names == ["animals", "sky", "water"]  # alphabetical, no _r1
    assert chosen.without_tags == [3, 5] and chosen.without_labels == [7]
    assert chosen.ids == [1, 2, 4, 6, 8, 9, 10, 11, 12] and chosen.total == 12
    assert chosen.images[2] == raw / "mirflickr" / "im4.jpg"
    np.testing.assert_array_equal(chosen.text[[0, 2]], [[1, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(chosen.labels[[0, 2]], [[0, 1, 1], [1, 1, 0]])
    assert chosen.text.dtype == np.float32 and chosen.labels.dtype == np.uint8


def test_without_common_tags_the_vocabulary_is_counted(raw, monkeypatch):
    (raw / "mirflickr" / "doc" / "common_tags.txt").unlink()
    monkeypatch.setattr(mirflickr, "MIN_TAG_COUNT", 3)  # the distribution's rule is 20
    chosen = mirflickr.read_mirflickr(raw)
    assert chosen.vocabulary == ["sky", "dog", "water"]  # in 7, 5 and 4 tag files
    assert "no doc/common_tags.txt" in chosen.vocabulary_rule


def test_a_broken_layout_is_one_clear_error(raw):
    (raw / "mirflickr" / "doc" / "common_tags.txt").write_text("sky 5210\nsea\n")
    with pytest.raises(CmhbenchError, match=r"common_tags.txt: line 2 is not 'tag count'"):
        mirflickr.read_mirflickr(raw)
    (raw / "mirflickr" / "doc" / "common_tags.txt").write_text(COMMON_TAGS)
    (raw / "mirflickr25k_annotations_v080").rename(raw / "elsewhere")
    with pytest.raises(CmhbenchError, match="no MIRFlickr-25K annotation folder"):
        mirflickr.read_mirflickr(raw)
    with pytest.raises(CmhbenchError, match=r"no im<ID>\.jpg images"):
        mirflickr.read_mirflickr(raw / "elsewhere")
    (raw / "elsewhere").rename(raw / "mirflickr25k_annotations_v080")
    (raw / "mirflickr" / "meta" / "tags").rename(raw / "tags")
    with pytest.raises(CmhbenchError, match=r"meta/tags: not found \(the per-image tag files"):
        mirflickr.read_mirflickr(raw)


@pytest.mark.usefixtures("tiny_backbone")
def test_ucch_s_files_are_written_read_by_the_loader_and_run(raw, tmp_path):
    out = tmp_path / "features"
    paths = make_mirflickr(raw, out, split_seed=3, **TINY_EXTRACTION)
    assert [p.name for p in paths] == [
        "mirflickr25k-iall-vgg.mat",
        "mirflickr25k-yall.mat",
        "mirflickr25k-lall.mat",
    ]
    again = make_mirflickr(raw, tmp_path / "again", split_seed=3, **TINY_EXTRACTION)
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(paths, again, strict=True))
    image, text, labels = read_ucch_files(paths)
    assert image.shape == (8, 4096) and image.dtype == np.float32
    assert text.shape == (8, 3) and labels.shape == (8, 3) and labels.dtype == np.uint8
    sidecar = json.loads((out / "mirflickr25k-features.json").read_text())
    assert sidecar["dropped"] == [{"id": 9, "image": "mirflickr/im9.jpg"}]
    row_ids = sidecar["row_ids"]["ids"]
    assert sorted(row_ids) == [1, 2, 4, 6, 8, 10, 11, 12] and row_ids != sorted(row_ids)
    chosen = mirflickr.read_mirflickr(raw)
    rows = [chosen.ids.index(i) for i in row_ids]
    np.testing.assert_array_equal(text, chosen.text[rows])
    np.testing.assert_array_equal(labels, chosen.labels[rows])
    assert sidecar["text"]["vocabulary"] == ["sky", "water", "dog"]
    assert sidecar["selection"]["without_tags"] == [3, 5] and sidecar["items"] == 8
    assert sidecar["image"]["weights"] == "random" and sidecar["labels"][0] == "animals"
    # a dozen items: the last few are the queries (the field's 2,000 of 20,015)
    data = dataset_loader("mirflickr25k:queries=3", data_root=str(out)).load()
    assert data.image.shape == (8, 4096) and data.query_idx.tolist() == [5, 6, 7]
    record = cvh_cell_on("mirflickr25k:queries=3", tmp_path / "runs", data_root=out)
    assert record["status"] == "ok", record["error"]


@pytest.mark.slow  # VGG-19 on the CPU, in a new process
def test_the_features_command_writes_what_a_run_reads(raw, tmp_path):
    out = tmp_path / "features"
    made = features_command("mirflickr25k", raw, out)
    assert made.returncode == 0, made.stderr
    assert "mirflickr25k-lall.mat and mirflickr25k-features.json" in made.stdout

    def run(dataset: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*cmhbench_command(), "run", "--datasets", dataset, "--data-root", str(out),
             "--methods", "cvh", "--bits", "2", "--out", str(tmp_path / "runs")],
            capture_output=True, text=True,
        )  # fmt: skip

    field_split = run("mirflickr25k")
    assert field_split.returncode != 0
    assert "cannot take the last 2000 of 8 rows as queries" in field_split.stderr
    assert "mirflickr25k:queries=N" in field_split.stderr
    small_split = run("mirflickr25k:queries=2")
    assert small_split.returncode == 0, small_split.stderr
    assert (tmp_path / "runs" / "mirflickr25k-q2" / "cvh" / "bits2-seed0.json").is_file()
