"""``mirflickr25k``: MIRFlickr-25K (20,015 pairs, 24 labels, 1,386-d tag bag-of-words).

Layouts read (MATLAB v5/v7 or v7.3, detected from the file):

* UCCH's feature files: ``mirflickr25k-iall-vgg.mat`` (``XAll``, n x 4,096 VGG-19 fc7),
  ``mirflickr25k-yall.mat`` (``YAll``), ``mirflickr25k-lall.mat`` (``LAll``); or the
  older names with ``-rand`` (``mirflickr25k-iall-vgg-rand.mat``, ...), used as a set.
* DCMH's files with your own image features: ``mirflickr25k-yall.mat`` and
  ``mirflickr25k-lall.mat``, or the merged ``FLICKR-25K.mat`` (its ``YAll`` and ``LAll``;
  its raw ``images`` are not read), plus ``image_file=PATH`` (a .mat or .npy whose rows
  follow the same order; ``image_key`` names the array in a .mat, default ``XAll``).

Split: the UCCH protocol (last 2,000 rows are queries). UCCH's files come pre-shuffled,
so their row order is a random split; DCMH's files are in collection order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhbench.arrays import read_matlab, read_npy
from cmhbench.data import CrossModalData
from cmhbench.datasets.field import FieldDataset, features, multi_hot
from cmhbench.errors import CmhbenchError
from cmhbench.registry import register_dataset

UCCH_SETS = (
    ("mirflickr25k-iall-vgg.mat", "mirflickr25k-yall.mat", "mirflickr25k-lall.mat"),
    ("mirflickr25k-iall-vgg-rand.mat", "mirflickr25k-yall-rand.mat", "mirflickr25k-lall-rand.mat"),
)
N_QUERY = 2000


@register_dataset("mirflickr25k")
class MIRFlickr25K(FieldDataset):
    """MIRFlickr-25K from UCCH's or DCMH's feature files."""

    folders = ("MIRFLICKR25K", "mirflickr25k")
    source = (
        "the links in github.com/penghu-cs/UCCH (data/README.md) "
        "or github.com/jiangqy/DCMH-CVPR2017"
    )
    short_name = "MIRFlickr-25K"
    description = (
        "MIRFlickr-25K: 20,015 pairs, 24 labels, 4,096-d VGG-19 image, 1,386-d tag BoW; "
        "UCCH split (last 2,000 rows are queries)"
    )

    def __init__(
        self,
        root: str | None = None,
        image_file: str | None = None,
        image_key: str = "XAll",
        queries: int | None = None,
    ):
        super().__init__(root, queries)
        self.image_file = Path(image_file).expanduser() if image_file else None
        self.image_key = image_key

    def files(self) -> list[Path]:
        """The files this configuration reads (raises with where it looked if one is missing)."""
        if self.image_file is not None:
            merged = self.find("FLICKR-25K.mat")
            if merged is not None:
                return [self.image_file, merged]
            return [
                self.image_file,
                self.require("mirflickr25k-yall.mat"),
                self.require("mirflickr25k-lall.mat"),
            ]
        for names in UCCH_SETS:
            if self.find(names[0]) is not None:
                return [self.require(name) for name in names]
        return [self.require(UCCH_SETS[0][0], UCCH_SETS[1][0])]

    def load(self, *, seed: int = 0) -> CrossModalData:
        paths = self.files()
        if self.image_file is None:
            image_path, text_path, label_path = paths
            image = read_matlab(image_path, ["XAll"])["XAll"]
            text = read_matlab(text_path, ["YAll"])["YAll"]
            labels = read_matlab(label_path, ["LAll"])["LAll"]
        else:
            image_path = paths[0]
            image = read_image_file(image_path, self.image_key)
            if len(paths) == 2:
                merged = read_matlab(paths[1], ["YAll", "LAll"])
                text, labels = merged["YAll"], merged["LAll"]
                text_path = label_path = paths[1]
            else:
                text_path, label_path = paths[1], paths[2]
                text = read_matlab(text_path, ["YAll"])["YAll"]
                labels = read_matlab(label_path, ["LAll"])["LAll"]
        return self.ucch_split(
            features(image, image_path, "XAll" if self.image_file is None else self.image_key),
            features(text, text_path, "YAll"),
            multi_hot(labels, label_path, "LAll"),
            n_query=N_QUERY,
            files=paths,
        )


def read_image_file(path: Path, key: str) -> np.ndarray:
    """Image features from a user's .npy or .mat file."""
    if not path.is_file():
        raise CmhbenchError(f"image feature file not found: {path}")
    if path.suffix == ".npy":
        return read_npy(path)
    return read_matlab(path, [key])[key]
