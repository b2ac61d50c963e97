"""The shipped UCI Multiple Features data set, its split and dataset options."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from cmhbench.data import class_stratified_split
from cmhbench.datasets import dataset_loader, load_dataset, parse_dataset_spec, uci_mfeat
from cmhbench.errors import CmhbenchError

# The first queries of split-pix-fou-seed0.npz (../shared/data/uci-mfeat), the split
# of UCCH's reference run; the loader must give the same split for data seed 0.
REFERENCE_QUERIES = [1946, 1236, 1380, 1949, 1633, 474, 1815, 935, 470, 1626]
REFERENCE_RETRIEVAL = [1321, 1666, 961, 1294, 859, 1769, 1819, 1722, 1210, 1612]


def test_default_load_is_pix_and_fou_with_the_reference_split():
    data = load_dataset("uci-mfeat")
    assert data.name == "uci-mfeat"
    assert data.summary() == {
        "n_items": 2000,
        "image_dim": 240,
        "text_dim": 76,
        "n_labels": 10,
        "n_train": 1800,
        "n_query": 200,
        "n_retrieval": 1800,
    }
    assert data.query_idx[:10].tolist() == REFERENCE_QUERIES
    assert data.retrieval_idx[:10].tolist() == REFERENCE_RETRIEVAL
    assert np.array_equal(data.train_idx, data.retrieval_idx)
    assert (data.labels.sum(1) == 1).all()
    assert np.bincount(data.labels[data.query_idx].argmax(1)).tolist() == [20] * 10
    # rows are grouped by class in the files: row i is digit i // 200
    assert np.array_equal(data.labels.argmax(1), np.repeat(np.arange(10), 200))


def test_features_are_standardised_on_the_retrieval_set_or_left_raw():
    data = load_dataset("uci-mfeat")
    retrieval = data.image[data.retrieval_idx]
    assert np.abs(retrieval.mean(0)).max() < 1e-4
    varying = retrieval.std(0) > 0.5
    assert varying.mean() > 0.9 and np.allclose(retrieval.std(0)[varying], 1, atol=1e-3)
    raw = load_dataset("uci-mfeat:standardize=false")
    assert raw.name == "uci-mfeat-raw"
    assert set(np.unique(raw.image)) <= set(range(7))  # pixel averages are 0..6
    first_row = gzip.decompress((uci_mfeat.DATA_DIR / "mfeat-fou.csv.gz").read_bytes())
    first_row = first_row.split(b"\n")[1].split(b",")
    assert raw.text[0, 0] == pytest.approx(float(first_row[0]))


def test_any_two_views_can_be_chosen_and_the_name_says_which():
    data = load_dataset("uci-mfeat:image=fac:text=kar:queries_per_class=5")
    assert data.name == "uci-mfeat-fac-kar-q5"
    assert (data.image.shape[1], data.text.shape[1]) == (216, 64)
    assert data.query_idx.size == 50 and data.retrieval_idx.size == 1950
    assert data.split["views"] == {"image": "fac", "text": "kar"}


def test_other_data_seeds_draw_other_splits():
    assert not np.array_equal(
        load_dataset("uci-mfeat", seed=1).query_idx, load_dataset("uci-mfeat", seed=0).query_idx
    )


def test_class_stratified_split_follows_the_seeded_permutation():
    classes = np.repeat([0, 1, 2], [4, 5, 6])
    query, retrieval = class_stratified_split(classes, per_class=2, seed=3)
    order = np.random.default_rng(3).permutation(classes.size)
    taken: dict[int, int] = {}
    expected_query, expected_retrieval = [], []
    for item in order:  # the obvious loop the vectorised split must agree with
        label = int(classes[item])
        goes_to_query = taken.get(label, 0) < 2
        taken[label] = taken.get(label, 0) + 1
        (expected_query if goes_to_query else expected_retrieval).append(int(item))
    assert query.tolist() == expected_query
    assert retrieval.tolist() == expected_retrieval
    with pytest.raises(CmhbenchError, match="class"):
        class_stratified_split(classes, per_class=4, seed=0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("uci-mfeat:imgae=fac", "did you mean 'image'"),
        ("uci-mfeat:image=foo", "must be one of"),
        ("uci-mfeat:image=fou", "two different views"),
        ("uci-mfeat:standardize=maybe", "type bool"),
        ("uci-mfeat:queries_per_class=200", "no retrieval item"),
        ("synthetic:n_items=5", "no option 'n_items'"),
        ("uci-mfeat:train_sise=5", "did you mean 'train_size'"),
        ("uci-mfeat:train_size=0", "positive integers"),
        ("uci-mfeat:train_size=5000", r"\[1, 1800\]"),
        ("uci-mfeat:per_label=5", "Q,T"),
        ("uci-mfeat:train_size=5:per_label=2,3", "at most one"),
    ],
)
def test_bad_options_are_one_clear_error(spec, message):
    with pytest.raises(CmhbenchError, match=message):
        dataset_loader(spec).load(seed=0)


def test_spec_parsing():
    assert parse_dataset_spec("uci-mfeat") == ("uci-mfeat", {})
    assert parse_dataset_spec("uci-mfeat:image=fac: text = kar") == (
        "uci-mfeat",
        {"image": "fac", "text": "kar"},
    )


def test_a_corrupted_copy_is_detected(tmp_path, monkeypatch):
    shutil.copytree(uci_mfeat.DATA_DIR, tmp_path / "uci-mfeat")
    path = tmp_path / "uci-mfeat" / "mfeat-pix.csv.gz"
    text = gzip.decompress(path.read_bytes()).replace(b"\n0,", b"\n1,", 1)
    path.write_bytes(gzip.compress(text))
    monkeypatch.setattr(uci_mfeat, "DATA_DIR", tmp_path / "uci-mfeat")
    with pytest.raises(CmhbenchError, match="SHA-256"):
        load_dataset("uci-mfeat")


def test_a_split_file_replaces_the_datasets_own_split(tmp_path):
    path = tmp_path / "mine.npz"
    rest = np.arange(100, 2000)
    np.savez(path, train_idx=rest[:500], query_idx=np.arange(100), retrieval_idx=rest)
    data = load_dataset(f"uci-mfeat:split={path}")
    assert data.name == "uci-mfeat-split-mine"
    assert (data.train_idx.size, data.query_idx.size, data.retrieval_idx.size) == (500, 100, 1900)
    assert data.split["protocol"] == "index arrays from mine.npz" and "replaces" in data.split
    assert data.split_hash() != load_dataset("uci-mfeat").split_hash()
    np.savez(path, query_idx=np.arange(100))
    with pytest.raises(CmhbenchError, match="lacks train_idx, retrieval_idx"):
        load_dataset(f"uci-mfeat:split={path}")
    with pytest.raises(CmhbenchError, match="split file not found"):
        load_dataset(f"uci-mfeat:split={tmp_path / 'none.npz'}")


def test_supervised_protocol_samples_the_training_set_from_the_retrieval_set():
    data = load_dataset("uci-mfeat:train_size=500", seed=4)
    assert data.name == "uci-mfeat-train500" and data.train_idx.size == 500
    assert np.isin(data.train_idx, data.retrieval_idx).all()
    assert np.array_equal(data.query_idx, load_dataset("uci-mfeat", seed=4).query_idx)
    again = load_dataset("uci-mfeat:train_size=500", seed=4)
    assert np.array_equal(data.train_idx, again.train_idx)


def test_per_label_sampling_takes_queries_and_training_items_label_by_label():
    data = load_dataset("uci-mfeat:per_label=7,30")
    classes = data.labels.argmax(1)
    assert np.bincount(classes[data.query_idx]).tolist() == [7] * 10
    assert np.bincount(classes[data.train_idx]).tolist() == [30] * 10
    assert data.retrieval_idx.size == 2000 - 70
    assert np.isin(data.train_idx, data.retrieval_idx).all()


@pytest.mark.parametrize("option", ["per_label=7,30", "split"])
def test_a_split_option_standardises_with_its_own_retrieval_rows_only(option, tmp_path):
    if option == "split":
        path = tmp_path / "mine.npz"
        rest = np.arange(100, 2000)  # queries: the first 100 rows, all of them zeros
        np.savez(path, train_idx=rest[:500], query_idx=np.arange(100), retrieval_idx=rest)
        option = f"split={path}"
    data = load_dataset(f"uci-mfeat:{option}")
    raw = load_dataset("uci-mfeat:standardize=false")
    for view, raw_view in ((data.image, raw.image), (data.text, raw.text)):
        rows = raw_view[data.retrieval_idx]
        expected = (raw_view - rows.mean(0)) / (rows.std(0) + 1e-6)
        assert np.allclose(view, expected, atol=1e-3)
    assert data.split["standardized_on"] == "the retrieval rows of this split"
    raw_split = load_dataset(f"uci-mfeat:standardize=false:{option}")
    assert np.array_equal(raw_split.image, raw.image)  # raw stays raw
