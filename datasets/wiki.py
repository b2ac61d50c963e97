"""``wiki``: the Wikipedia image-text set of Rasiwasia et al. (2,866 pairs, 10 classes).

Layouts read:

* DGCPN's ``.npy`` files: ``train_feature_vgg19.npy``, ``train_txt.npy``,
  ``train_label.npy`` and the same with ``test_`` (numeric arrays; labels as class
  numbers 0-9 or one-hot rows).
* The original release: ``raw_features.mat`` (``I_tr``/``I_te`` image and
  ``T_tr``/``T_te`` text features) with ``trainset_txt_img_cat.list`` and
  ``testset_txt_img_cat.list`` (last column: the category, 1-10). Where the .mat holds
  no image features, give ``image_file=PATH``: a numeric .npy with the train rows, then
  the test rows, in list order.

Split: the test set (693) is the query set; the training set (2,173) is both the
retrieval set and the training set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhbench.arrays import matlab_keys, read_matlab, read_npy
from cmhbench.data import CrossModalData
from cmhbench.datasets.field import FieldDataset, features, multi_hot, one_hot
from cmhbench.errors import CmhbenchError
from cmhbench.registry import register_dataset

N_CLASSES = 10
NPY_PARTS = ("feature_vgg19", "txt", "label")
LISTS = ("trainset_txt_img_cat.list", "testset_txt_img_cat.list")


@register_dataset("wiki")
class Wikipedia(FieldDataset):
    """The Wikipedia data set from DGCPN's .npy files or the original release."""

    folders = ("WIKI", "wiki")
    source = "http://www.svcl.ucsd.edu/projects/crossmodal/ (original) or DGCPN's feature files"
    short_name = "Wiki"
    description = (
        "Wikipedia: 2,866 pairs, 10 classes (single label); queries = the 693 test pairs, "
        "train = retrieval = the 2,173 training pairs"
    )

    def __init__(
        self, root: str | None = None, image_file: str | None = None, queries: int | None = None
    ):
        super().__init__(root, queries)
        self.image_file = Path(image_file).expanduser() if image_file else None

    def files(self) -> list[Path]:
        if self.find("train_feature_vgg19.npy") is not None:
            return [
                self.require(f"{part}_{kind}.npy")
                for part in ("train", "test")
                for kind in NPY_PARTS
            ]
        found = [self.require("raw_features.mat", "train_feature_vgg19.npy")]
        found += [self.require(name) for name in LISTS]
        return found

    def load(self, *, seed: int = 0) -> CrossModalData:
        paths = self.files()
        if paths[0].suffix == ".npy":
            image, text, labels, n_test = self._from_npy(paths)
        else:
            image, text, labels, n_test = self._from_release(*paths)
        return self.ucch_split(image, text, labels, n_query=n_test, files=paths)

    def _from_npy(self, paths: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        parts = []
        for image_path, text_path, label_path in (paths[:3], paths[3:]):
            parts.append(
                (
                    features(read_npy(image_path), image_path, "features"),
                    features(read_npy(text_path), text_path, "features"),
                    _labels(read_npy(label_path), label_path),
                )
            )
        (train, test) = parts
        image, text, labels = (np.concatenate([a, b]) for a, b in zip(train, test, strict=True))
        return image, text, labels, test[0].shape[0]

    def _from_release(
        self, mat: Path, train_list: Path, test_list: Path
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        classes = [_categories(path) for path in (train_list, test_list)]
        n_train, n_test = (c.size for c in classes)
        if {"I_tr", "I_te"} <= set(matlab_keys(mat)):
            a = read_matlab(mat, ["I_tr", "I_te", "T_tr", "T_te"])
            image = np.concatenate([features(a[k], mat, k) for k in ("I_tr", "I_te")])
        elif self.image_file is not None:
            a = read_matlab(mat, ["T_tr", "T_te"])
            image = features(read_npy(self.image_file), self.image_file, "features")
        else:
            raise CmhbenchError(
                f"{mat} holds no image features (I_tr, I_te); give wiki:image_file=PATH, a "
                "numeric .npy with the training rows, then the test rows, in list order"
            )
        text = np.concatenate([features(a[k], mat, k) for k in ("T_tr", "T_te")])
        for key, expected in (("T_tr", n_train), ("T_te", n_test)):
            if a[key].shape[0] != expected:
                raise CmhbenchError(
                    f"{mat}: {key} has {a[key].shape[0]} rows but its list has {expected}"
                )
        labels = one_hot(np.concatenate(classes) - 1, N_CLASSES, train_list, "category")
        return image, text, labels, n_test


def _labels(array: np.ndarray, path: Path) -> np.ndarray:
    """Class numbers 0-9 (a vector or a column) or one-hot rows."""
    if array.ndim == 2 and array.shape[1] == N_CLASSES:
        return multi_hot(array, path, "labels")
    return one_hot(array, N_CLASSES, path, "labels")


def _categories(path: Path) -> np.ndarray:
    """The last column (category 1-10) of a ``*_txt_img_cat.list`` file."""
    try:
        rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
        return np.array([int(row[-1]) for row in rows], dtype=np.int64)
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise CmhbenchError(
            f"{path}: expected lines 'text_id image_name category' ({exc})"
        ) from None
