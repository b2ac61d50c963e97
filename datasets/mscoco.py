"""``mscoco``: MS-COCO as in UCCH (122,218 pairs, 80 labels, 300-d Doc2Vec text).

UCCH's HDF5 file, written from Python (row-major, read as stored):
``MSCOCO_deep_doc2vec_data_rand.h5py`` with ``XAll`` (4,096-d VGG-19), ``YAll``,
``LAll``; or the older ``MSCOCO_deep_doc2vec_data.h5py`` with ``train_imgs_deep``,
``test_imgs_deep``, ``train_text``, ``test_text``, ``train_imgs_labels``,
``test_imgs_labels`` (train rows first, then test). Or ``mscoco-caption-bow.h5``,
written by ``cmhbench features mscoco`` from the raw release (``XAll``, ``YAll`` a 0/1
caption bag of words in place of Doc2Vec, ``LAll``). Split: the UCCH protocol, the
last 5,000 rows are queries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhbench.arrays import read_arrays
from cmhbench.data import CrossModalData
from cmhbench.datasets.field import FieldDataset, features, multi_hot
from cmhbench.registry import register_dataset

CURRENT = "MSCOCO_deep_doc2vec_data_rand.h5py"
OLDER = "MSCOCO_deep_doc2vec_data.h5py"
MADE = "mscoco-caption-bow.h5"  # cmhbench features mscoco
OLDER_KEYS = {
    "image": ("train_imgs_deep", "test_imgs_deep"),
    "text": ("train_text", "test_text"),
    "labels": ("train_imgs_labels", "test_imgs_labels"),
}
N_QUERY = 5000


@register_dataset("mscoco")
class MSCOCO(FieldDataset):
    """MS-COCO from UCCH's HDF5 feature file (either layout), or one made from the
    raw release."""

    folders = ("MSCOCO", "mscoco")
    source = "the links in github.com/penghu-cs/UCCH (data/README.md)"
    short_name = "MS-COCO"
    description = (
        "MS-COCO: 122,218 pairs, 80 labels, 4,096-d VGG-19 image, 300-d Doc2Vec text; "
        "UCCH split (last 5,000 rows are queries)"
    )

    def files(self) -> list[Path]:
        return [self.require(CURRENT, OLDER, MADE)]

    def load(self, *, seed: int = 0) -> CrossModalData:
        (path,) = self.files()
        if path.name in (CURRENT, MADE):
            a = read_arrays(path, ["XAll", "YAll", "LAll"])
            image, text = features(a["XAll"], path, "XAll"), features(a["YAll"], path, "YAll")
            labels = multi_hot(a["LAll"], path, "LAll")
        else:
            a = read_arrays(path, [key for pair in OLDER_KEYS.values() for key in pair])
            image, text = (
                np.concatenate([features(a[key], path, key) for key in OLDER_KEYS[part]])
                for part in ("image", "text")
            )
            labels = np.concatenate([multi_hot(a[key], path, key) for key in OLDER_KEYS["labels"]])
        return self.ucch_split(image, text, labels, n_query=N_QUERY, files=[path])
