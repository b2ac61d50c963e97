"""The field's data files, read from small fixtures written in each exact format."""

from __future__ import annotations

import numpy as np
import pytest
from field_formats import aligned_arrays, save_h5py, save_v5, save_v73

from cmhbench.datasets import dataset_loader, load_dataset
from cmhbench.errors import CmhbenchError


def load(name: str, root, **options):
    spec = ":".join([name, *(f"{k}={v}" for k, v in options.items())])
    return load_dataset(spec, data_root=str(root))


def check(data, n: int, n_query: int, dims: tuple[int, int], n_labels: int, start: int = 0):
    """Shapes, dtypes, label values, split sizes, and row alignment."""
    assert data.image.shape == (n, dims[0]) and data.text.shape == (n, dims[1])
    assert data.image.dtype == np.float32 and data.text.dtype == np.float32
    assert data.labels.dtype == np.uint8 and data.labels.shape == (n, n_labels)
    assert set(np.unique(data.labels)) <= {0, 1}
    assert data.query_idx.tolist() == list(range(n - n_query, n))
    assert np.array_equal(data.train_idx, np.arange(n - n_query))
    assert np.array_equal(data.retrieval_idx, data.train_idx)
    rows = np.arange(start, start + n)
    assert np.array_equal(data.image[:, 0], rows) and np.array_equal(data.text[:, 0], rows)
    assert (data.labels[np.arange(n), rows % n_labels] == 1).all()


MIR = dict(n=2030, image_dim=6, text_dim=5, n_labels=4)


@pytest.mark.parametrize("save", [save_v5, save_v73])
def test_mirflickr_ucch_files_in_either_matlab_format(tmp_path, save):
    image, text, labels = aligned_arrays(*MIR.values())
    save(tmp_path / "mirflickr25k-iall-vgg.mat", {"XAll": image.astype(np.float32)})
    save(tmp_path / "mirflickr25k-yall.mat", {"YAll": text})
    save(tmp_path / "mirflickr25k-lall.mat", {"LAll": labels})
    check(load("mirflickr25k", tmp_path), 2030, 2000, (6, 5), 4)


def test_mirflickr_older_rand_names_in_the_ucch_subfolder(tmp_path):
    image, text, labels = aligned_arrays(*MIR.values())
    folder = tmp_path / "MIRFLICKR25K"
    save_v5(folder / "mirflickr25k-iall-vgg-rand.mat", {"XAll": image})
    save_v73(folder / "mirflickr25k-yall-rand.mat", {"YAll": text})
    save_v5(folder / "mirflickr25k-lall-rand.mat", {"LAll": labels})
    data = load("mirflickr25k", tmp_path)
    check(data, 2030, 2000, (6, 5), 4)
    assert data.split["files"][0].endswith("mirflickr25k-iall-vgg-rand.mat")


def test_mirflickr_dcmh_files_with_the_users_image_features(tmp_path):
    image, text, labels = aligned_arrays(*MIR.values())
    np.save(tmp_path / "vgg.npy", image.astype(np.float32))
    save_v73(tmp_path / "mirflickr" / "mirflickr25k-yall.mat", {"YAll": text})
    save_v5(tmp_path / "mirflickr" / "mirflickr25k-lall.mat", {"LAll": labels})
    # the data root's sub-folder named like the dataset is searched too
    (tmp_path / "mirflickr25k").mkdir()
    for name in ("mirflickr25k-yall.mat", "mirflickr25k-lall.mat"):
        (tmp_path / "mirflickr" / name).rename(tmp_path / "mirflickr25k" / name)
    check(load("mirflickr25k", tmp_path, image_file=tmp_path / "vgg.npy"), 2030, 2000, (6, 5), 4)


def test_mirflickr_merged_dcmh_file_without_reading_its_images(tmp_path):
    image, text, labels = aligned_arrays(*MIR.values())
    save_v5(tmp_path / "vgg.mat", {"feat": image})
    raw = np.zeros((2030, 2, 2, 3), dtype=np.uint8)
    save_v73(tmp_path / "FLICKR-25K.mat", {"images": raw, "YAll": text, "LAll": labels})
    data = load("mirflickr25k", tmp_path, image_file=tmp_path / "vgg.mat", image_key="feat")
    check(data, 2030, 2000, (6, 5), 4)


def test_nus_wide_with_a_v73_text_file(tmp_path):
    image, text, labels = aligned_arrays(2130, 4, 7, 10)
    folder = tmp_path / "NUS-WIDE-TC10"
    save_v5(folder / "nus-wide-tc10-xall-vgg.mat", {"XAll": image.astype(np.float32)})
    save_v73(folder / "nus-wide-tc10-yall.mat", {"YAll": text})
    save_v5(folder / "nus-wide-tc10-lall.mat", {"LAll": labels})
    check(load("nus-wide-tc10", tmp_path), 2130, 2100, (4, 7), 10)


@pytest.mark.parametrize(
    ("save", "name"), [(save_v5, "iapr-tc12-rand.mat"), (save_v73, "iapr-tc12.mat")]
)
def test_iapr_dlfh_layout_test_block_is_the_query_set(tmp_path, save, name):
    image, text, labels = aligned_arrays(50, 4, 6, 5)
    save(
        tmp_path / "IAPR-TC12" / name,
        {
            "VDatabase": image[:38],
            "YDatabase": text[:38],
            "databaseL": labels[:38],
            "VTest": image[38:],
            "YTest": text[38:],
            "testL": labels[38:],
        },
    )
    check(load("iapr-tc12", tmp_path), 50, 12, (4, 6), 5)


def test_mscoco_current_and_older_hdf5_layouts(tmp_path):
    image, text, labels = aligned_arrays(5040, 3, 4, 8)
    save_h5py(
        tmp_path / "MSCOCO" / "MSCOCO_deep_doc2vec_data_rand.h5py",
        {"XAll": image.astype(np.float32), "YAll": text, "LAll": labels},
    )
    check(load("mscoco", tmp_path), 5040, 5000, (3, 4), 8)
    older = tmp_path / "older"
    save_h5py(
        older / "MSCOCO_deep_doc2vec_data.h5py",
        {
            "train_imgs_deep": image[:30],
            "test_imgs_deep": image[30:],
            "train_text": text[:30],
            "test_text": text[30:],
            "train_imgs_labels": labels[:30],
            "test_imgs_labels": labels[30:],
        },
    )
    check(load("mscoco", older), 5040, 5000, (3, 4), 8)


def test_wiki_dgcpn_npy_layout(tmp_path):
    image, text, _ = aligned_arrays(40, 5, 3, 10)
    classes = np.arange(40) % 10
    for part, rows in (("train", slice(0, 29)), ("test", slice(29, 40))):
        np.save(tmp_path / f"{part}_feature_vgg19.npy", image[rows].astype(np.float32))
        np.save(tmp_path / f"{part}_txt.npy", text[rows])
        np.save(tmp_path / f"{part}_label.npy", classes[rows])
    check(load("wiki", tmp_path), 40, 11, (5, 3), 10)


def test_wiki_original_release_with_category_lists(tmp_path):
    image, text, _ = aligned_arrays(40, 5, 3, 10)
    folder = tmp_path / "wiki"
    save_v5(
        folder / "raw_features.mat",
        {"I_tr": image[:29], "I_te": image[29:], "T_tr": text[:29], "T_te": text[29:]},
    )
    for name, rows in (("trainset", range(29)), ("testset", range(29, 40))):
        lines = [f"t{i}\timg{i}\t{i % 10 + 1}" for i in rows]
        (folder / f"{name}_txt_img_cat.list").write_text("\n".join(lines) + "\n")
    check(load("wiki", tmp_path), 40, 11, (5, 3), 10)


def write_mirflickr(root, **replace):
    image, text, labels = aligned_arrays(*MIR.values())
    arrays = {"iall-vgg": {"XAll": image}, "yall": {"YAll": text}, "lall": {"LAll": labels}}
    arrays.update(replace)
    for name, content in arrays.items():
        save_v5(root / f"mirflickr25k-{name}.mat", content)


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"yall": {"Tags": np.zeros((2030, 5))}}, "lacks YAll; it has Tags; expected YAll"),
        ({"yall": {"YAll": np.zeros((2029, 5))}}, "disagree on the number of items"),
        ({"lall": {"LAll": np.full((2030, 4), 2)}}, "only 0 and 1"),
        ({"iall-vgg": {"XAll": np.full((2030, 6), np.nan)}}, "NaN"),
        ({"lall": {"LAll": np.zeros((2030, 4))}}, "query row(s) have no label"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path, replace, message):
    write_mirflickr(tmp_path, **replace)
    with pytest.raises(CmhbenchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load("mirflickr25k", tmp_path)


def test_a_missing_file_names_every_place_looked_and_where_to_get_it(tmp_path):
    with pytest.raises(CmhbenchError) as error:
        load("nus-wide-tc10", tmp_path)
    message = str(error.value)
    assert "nus-wide-tc10-xall-vgg.mat" in message
    assert str(tmp_path / "NUS-WIDE-TC10") in message and str(tmp_path / "nus-wide-tc10") in message
    assert "penghu-cs/UCCH" in message


def test_an_unreadable_file_and_a_pickled_array_are_refused(tmp_path):
    (tmp_path / "iapr-tc12.mat").write_bytes(b"not a mat file" * 20)
    with pytest.raises(CmhbenchError, match="cannot read"):
        load("iapr-tc12", tmp_path)
    for part in ("train", "test"):
        objects = np.empty(3, dtype=object)
        objects[:] = [np.ones(2)] * 3
        np.save(tmp_path / f"{part}_feature_vgg19.npy", objects, allow_pickle=True)
        np.save(tmp_path / f"{part}_txt.npy", np.ones((3, 2)))
        np.save(tmp_path / f"{part}_label.npy", np.zeros(3, dtype=int))
    with pytest.raises(CmhbenchError, match="object array"):
        load("wiki", tmp_path)


def test_the_environment_variable_sets_the_data_root(tmp_path, monkeypatch):
    write_mirflickr(tmp_path)
    monkeypatch.setenv("CMHBENCH_DATA_ROOT", str(tmp_path))
    assert load_dataset("mirflickr25k").n_items == 2030


def write_layout(root, name: str) -> None:
    """MIR-sized arrays in ``name``'s file layout."""
    image, text, labels = aligned_arrays(*MIR.values())
    if name == "iapr-tc12":
        database = {"VDatabase": image[:-12], "YDatabase": text[:-12], "databaseL": labels[:-12]}
        test = {"VTest": image[-12:], "YTest": text[-12:], "testL": labels[-12:]}
        save_v5(root / "iapr-tc12.mat", {**database, **test})
    elif name == "mscoco":
        save_h5py(root / "mscoco-caption-bow.h5", {"XAll": image, "YAll": text, "LAll": labels})
    else:
        image_file = "xall-vgg" if name == "nus-wide-tc10" else "iall-vgg"
        save_v5(root / f"{name}-{image_file}.mat", {"XAll": image})
        save_v5(root / f"{name}-yall.mat", {"YAll": text})
        save_v5(root / f"{name}-lall.mat", {"LAll": labels})


@pytest.mark.parametrize("name", ["mirflickr25k", "nus-wide-tc10", "iapr-tc12", "mscoco"])
def test_the_queries_option_takes_another_count_of_last_rows_and_names_itself(tmp_path, name):
    write_layout(tmp_path, name)
    assert dataset_loader(name).name == name
    data = load(name, tmp_path, queries=30)
    check(data, 2030, 30, (6, 5), 4)
    assert data.name == f"{name}-q30" and "the last 30 rows" in data.split["protocol"]


def test_a_query_count_the_set_cannot_give_names_the_option(tmp_path):
    write_mirflickr(tmp_path)
    with pytest.raises(CmhbenchError, match=r"last 2030 of 2030 rows.*mirflickr25k:queries=N"):
        load("mirflickr25k", tmp_path, queries=2030)
    with pytest.raises(CmhbenchError, match="queries must be at least 1, got 0"):
        load("mirflickr25k", tmp_path, queries=0)
