"""The data model's validation, the synthetic generator and the user's .npz loader."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cmhbench.data import CrossModalData, random_split
from cmhbench.datasets import load_dataset
from cmhbench.datasets.npz import load_npz
from cmhbench.datasets.synthetic import SyntheticConfig, generate
from cmhbench.errors import CmhbenchError


def valid_arrays(n: int = 20) -> dict:
    rng = np.random.default_rng(0)
    return dict(
        name="toy",
        image=rng.standard_normal((n, 5)).astype(np.float32),
        text=rng.standard_normal((n, 3)).astype(np.float32),
        labels=(rng.random((n, 4)) < 0.5).astype(np.uint8),
        train_idx=np.arange(5, n),
        query_idx=np.arange(5),
        retrieval_idx=np.arange(5, n),
    )


def test_valid_data_is_accepted_and_split_into_parts():
    data = CrossModalData(**valid_arrays())
    train = data.part("train", with_labels=False)
    assert train.labels is None and len(train) == 15
    assert data.part("query").features("text").shape == (5, 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image": np.zeros((20, 5))}, "dtype float32"),
        ({"text": np.zeros((19, 3), np.float32)}, "19 rows"),
        ({"labels": np.full((20, 4), 2, np.uint8)}, "0/1"),
        ({"image": np.zeros((20,), np.float32)}, "2-D"),
        ({"image": np.full((20, 5), np.nan, np.float32)}, "NaN"),
        ({"text": np.zeros((20, 0), np.float32)}, "empty"),
        ({"query_idx": np.array([0, 25])}, "outside"),
        ({"query_idx": np.array([0, 0])}, "duplicate"),
        ({"query_idx": np.array([], np.int64)}, "empty"),
        ({"query_idx": np.array([0.0, 1.0])}, "integer"),
        ({"query_idx": np.array([5, 6])}, "overlap"),
    ],
)
def test_invalid_data_is_rejected_with_one_clear_line(change, message):
    with pytest.raises(CmhbenchError, match=message) as info:
        CrossModalData(**{**valid_arrays(), **change})
    assert "\n" not in str(info.value) and "'toy'" in str(info.value)


def test_fingerprint_changes_with_the_data():
    arrays = valid_arrays()
    first = CrossModalData(**arrays).fingerprint()
    assert CrossModalData(**arrays).fingerprint() == first
    arrays["image"] = arrays["image"] + 1
    assert CrossModalData(**arrays).fingerprint() != first


def test_random_split_is_disjoint_seeded_and_samples_training_from_retrieval():
    train, query, retrieval = random_split(100, n_query=10, n_train=30, seed=3)
    assert np.intersect1d(query, retrieval).size == 0
    assert np.union1d(query, retrieval).size == 100
    assert train.size == 30 and np.isin(train, retrieval).all()
    again = random_split(100, n_query=10, n_train=30, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((train, query, retrieval), again, strict=True))
    assert not np.array_equal(query, random_split(100, n_query=10, n_train=30, seed=4)[1])


def test_synthetic_is_deterministic_from_its_seed():
    config = SyntheticConfig(n_items=300, n_query=50, n_train=None)
    a, b, c = generate(config, 0), generate(config, 0), generate(config, 1)
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert a.labels.sum(1).min() >= 1  # every item has a label
    assert np.array_equal(a.train_idx, a.retrieval_idx)  # n_train=None: train = retrieval


def test_synthetic_parameters_shape_the_data():
    config = SyntheticConfig(n_items=200, n_query=20, image_dim=7, text_dim=9, n_labels=3)
    data = generate(config, 0)
    assert data.image.shape == (200, 7) and data.text.shape == (200, 9)
    assert data.labels.shape == (200, 3) and data.query_idx.size == 20
    assert (data.text.min(0) < data.text.max(0)).all()


def test_synthetic_label_structure_is_shared_across_modalities():
    # The same label set gives nearby points in each modality, so relevance is learnable.
    data = generate(dataclasses.replace(SyntheticConfig(), n_items=600, n_query=100), 0)
    labels = data.labels.astype(float)
    same = (labels @ labels.T) > 0
    for features in (data.image, data.text):
        unit = features / np.linalg.norm(features, axis=1, keepdims=True)
        cosine = unit @ unit.T
        assert cosine[same].mean() > cosine[~same].mean() + 0.05


def test_synthetic_difficulty_options_blur_the_label_structure():
    def gap(data):  # mean image cosine of label-sharing pairs minus the others'
        unit = data.image / np.linalg.norm(data.image, axis=1, keepdims=True)
        labels = data.labels.astype(float)
        same, cosine = (labels @ labels.T) > 0, unit @ unit.T
        return cosine[same].mean() - cosine[~same].mean()

    default, blurred = load_dataset("synthetic"), load_dataset("synthetic:latent_noise=1.5")
    assert default.name == "synthetic" and blurred.name == "synthetic-latent_noise1.5"
    assert np.array_equal(default.labels, blurred.labels)
    assert gap(blurred) < gap(default) / 2
    assert load_dataset("synthetic:noise=0.3").name == "synthetic-noise0.3"


def test_npz_with_indices_is_used_as_given(tmp_path):
    arrays = valid_arrays()
    del arrays["name"]
    path = tmp_path / "mine.npz"
    np.savez(path, **arrays)
    data = load_dataset(str(path))
    assert data.name == "mine" and np.array_equal(data.query_idx, arrays["query_idx"])
    assert data.split["protocol"] == "index arrays from the file"
    assert len(data.split["file_sha256"]) == 64


def test_hdf5_with_the_same_keys_is_read_like_the_npz(tmp_path):
    import h5py

    arrays = valid_arrays()
    del arrays["name"]
    path = tmp_path / "mine.h5"
    with h5py.File(path, "w") as f:
        for key, array in arrays.items():
            f[key] = array
    data = load_dataset(str(path))
    assert data.name == "mine" and np.array_equal(data.image, arrays["image"])
    assert np.array_equal(data.query_idx, arrays["query_idx"])
    (tmp_path / "junk.hdf5").write_bytes(b"not hdf5")
    with pytest.raises(CmhbenchError, match="not a readable HDF5 file"):
        load_dataset(str(tmp_path / "junk.hdf5"))


def test_npz_without_indices_gets_a_recorded_seeded_split(tmp_path):
    arrays = {k: v for k, v in valid_arrays(50).items() if k in ("image", "text", "labels")}
    arrays["image"] = arrays["image"].astype(np.float64)  # any float dtype is cast
    np.savez(tmp_path / "plain.npz", **arrays)
    data = load_npz(tmp_path / "plain.npz", seed=5)
    assert data.image.dtype == np.float32
    assert data.query_idx.size == 5 and data.split["seed"] == 5
    assert np.array_equal(data.train_idx, data.retrieval_idx)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"image": np.zeros((4, 2)), "text": np.zeros((4, 2))}, "lacks array.s. labels"),
        (
            {"image": np.zeros((4, 2)), "text": np.zeros((4, 2)), "labels": np.full((4, 2), 5)},
            "0/1",
        ),
        (
            {
                "image": np.zeros((4, 2)),
                "text": np.zeros((4, 2)),
                "labels": np.zeros((4, 2)),
                "query_idx": np.arange(1),
            },
            "not all of",
        ),
        (
            {
                "image": np.array([["a"] * 2] * 4),
                "text": np.zeros((4, 2)),
                "labels": np.zeros((4, 2)),
            },
            "numeric",
        ),
    ],
)
def test_malformed_npz_files_are_reported(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(CmhbenchError, match=message):
        load_npz(path)


def test_missing_and_unreadable_files_are_reported(tmp_path):
    with pytest.raises(CmhbenchError, match="not found"):
        load_npz(tmp_path / "absent.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(CmhbenchError, match="not a readable"):
        load_npz(tmp_path / "junk.npz")


def test_a_large_synthetic_set_drawn_in_chunks_is_the_same_data(monkeypatch):
    from cmhbench.datasets import synthetic

    config = SyntheticConfig(n_items=900, n_query=100, image_dim=40, text_dim=30)
    whole = generate(config, seed=3)
    monkeypatch.setattr(synthetic, "CHUNK_ROWS", 250)
    chunked = generate(config, seed=3)
    assert chunked.image.dtype == np.float32
    assert np.allclose(chunked.image, whole.image, atol=1e-5)
    assert np.allclose(chunked.text, whole.text, atol=1e-5)
    assert np.array_equal(chunked.labels, whole.labels)
    assert np.array_equal(chunked.query_idx, whole.query_idx)
    retrieval = chunked.image[chunked.retrieval_idx]
    assert np.allclose(retrieval.mean(0), 0, atol=1e-5) and np.allclose(
        retrieval.std(0), 1, atol=1e-4
    )


def test_scale_gives_a_field_data_set_s_sizes(monkeypatch):
    from cmhbench.datasets import dataset_loader, synthetic

    monkeypatch.setitem(
        synthetic.SCALES, "mirflickr25k", {**synthetic.SCALES["mirflickr25k"], "n_items": 2_600}
    )
    loader = dataset_loader("synthetic:scale=mirflickr25k")
    data = loader.load(seed=0)
    assert loader.name == data.name == "synthetic-scale-mirflickr25k"
    assert loader.supervised_train_size == 5000
    assert (data.image.shape[1], data.text.shape[1], data.labels.shape[1]) == (4096, 1386, 24)
    assert data.query_idx.size == 2000 and np.array_equal(data.train_idx, data.retrieval_idx)
    assert 2.5 < data.labels.sum(1).mean() < 3.5  # about three labels per item
    assert dataset_loader("synthetic").supervised_train_size is None
