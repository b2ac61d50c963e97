"""The raw NUS-WIDE layout: the top-10-concept selection on a hand-made release, UCCH's
three files written from it (a missing image dropped), and a run on them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TINY_EXTRACTION, cvh_cell_on, read_ucch_files
from PIL import Image

from cmhbench.datasets import dataset_loader
from cmhbench.errors import CmhbenchError
from cmhbench.features import nus_wide
from cmhbench.features.field import make_nus_wide

N = 14
# 12 concepts; "zoo" and "yak" have the fewest images, so they are not among the top 10
MEMBERS = {f"c{k:02d}": [k, (k + 3) % 12, (k + 5) % 12] for k in range(10)}
MEMBERS |= {"yak": [12], "zoo": [13]}
TAGS = np.random.default_rng(1).integers(0, 2, size=(N, 5))
TAGS[2] = 0  # a selected image without a tag: kept, as in DCMH's file
MISSING = 4  # listed, but never downloaded


@pytest.fixture
def raw(tmp_path):
    root = tmp_path / "NUS-WIDE"
    for folder in ("ImageList", "NUS_WID_Tags", "Groundtruth/AllLabels", "Flickr/sky"):
        (root / folder).mkdir(parents=True)
    names = [f"sky\\{i:04d}_{1000 + i}.jpg" for i in range(N)]
    (root / "ImageList" / "Imagelist.txt").write_text("\r\n".join(names) + "\r\n")
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        if i != MISSING:
            pixels = rng.integers(0, 256, size=(30, 44, 3), dtype=np.uint8)
            Image.fromarray(pixels, "RGB").save(root / "Flickr" / name.replace("\\", "/"))
    (root / "NUS_WID_Tags" / "TagList1k.txt").write_text("sky\nwater\nsunset\ndog\nart\n")
    rows = [" ".join(map(str, row)) + " " for row in TAGS]  # the release ends rows with a space
    (root / "NUS_WID_Tags" / "AllTags1k.txt").write_text("\n".join(rows) + "\n")
    for concept, ids in MEMBERS.items():
        column = np.zeros(N, int)
        column[ids] = 1
        path = root / "Groundtruth" / "AllLabels" / f"Labels_{concept}.txt"
        path.write_text("".join(f"{v}\n" for v in column))
    return root


def test_the_top_10_concepts_and_their_images_in_list_order(raw):
    chosen = nus_wide.read_nus_wide(raw)
    assert chosen.label_names == [f"c{k:02d}" for k in range(10)]
    assert chosen.concept_counts["zoo"] == 1 and chosen.total == N
    assert chosen.rows == list(range(12))  # 12 and 13 have only yak and zoo
    assert chosen.images[3] == raw / "Flickr" / "sky" / "0003_1003.jpg"
    np.testing.assert_array_equal(chosen.text, TAGS[:12])
    assert chosen.without_tags == 1 and chosen.text.dtype == np.float32
    assert chosen.labels[0].tolist() == [1, 0, 0, 0, 0, 0, 0, 1, 0, 1]  # c00, c07, c09


def test_a_broken_release_is_one_clear_error(raw):
    (raw / "NUS_WID_Tags" / "AllTags1k.txt").write_text("1 0 1 0 1\n")
    with pytest.raises(CmhbenchError, match=r"AllTags1k.txt: expected 14 rows of 5 0/1 values"):
        nus_wide.read_nus_wide(raw)
    (raw / "Groundtruth" / "AllLabels" / "Labels_c03.txt").write_text("1\n0\n")
    with pytest.raises(CmhbenchError, match=r"Labels_c03.txt: expected 14 values of 0 or 1"):
        nus_wide.read_nus_wide(raw)
    (raw / "Flickr").rename(raw / "elsewhere")
    with pytest.raises(CmhbenchError, match="no NUS-WIDE image folder"):
        nus_wide.read_nus_wide(raw)
    (raw / "ImageList" / "Imagelist.txt").unlink()
    with pytest.raises(CmhbenchError, match=r"Imagelist.txt: not found \(one image path per row"):
        nus_wide.read_nus_wide(raw)


@pytest.mark.usefixtures("tiny_backbone")
def test_ucch_s_files_are_written_read_by_the_loader_and_run(raw, tmp_path):
    out = tmp_path / "features"
    paths = make_nus_wide(raw, out, **TINY_EXTRACTION)
    image, text, labels = read_ucch_files(paths)
    assert image.shape == (11, 4096) and text.shape == (11, 5) and labels.shape == (11, 10)
    assert paths[0].read_bytes()[:10] == b"MATLAB 7.3"  # 3 GiB at the field's size
    sidecar = json.loads((out / "nus-wide-tc10-features.json").read_text())
    assert sidecar["dropped"] == [{"id": MISSING, "image": "Flickr/sky/0004_1004.jpg"}]
    rows = sidecar["row_ids"]["ids"]
    assert sorted(rows) == [r for r in range(12) if r != MISSING]
    np.testing.assert_array_equal(text, TAGS[rows])
    assert sidecar["selection"]["selected_without_tags"] == 1
    assert sidecar["text"]["tags"] == ["sky", "water", "sunset", "dog", "art"]
    # a dozen items: the last few are the queries (the field's 2,100 of 186,577)
    data = dataset_loader("nus-wide-tc10:queries=3", data_root=str(out)).load()
    assert data.labels.shape == (11, 10) and data.query_idx.tolist() == [8, 9, 10]
    record = cvh_cell_on("nus-wide-tc10:queries=3", tmp_path / "runs", data_root=out)
    assert record["status"] == "ok", record["error"]
