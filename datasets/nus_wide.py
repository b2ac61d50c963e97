"""``nus-wide-tc10``: NUS-WIDE, the 10 most frequent concepts (186,577 pairs, 1,000-d BoW).

UCCH's feature files (MATLAB v5/v7 or v7.3, detected): ``nus-wide-tc10-xall-vgg.mat``
(``XAll``, n x 4,096 VGG-19 fc7), ``nus-wide-tc10-yall.mat`` (``YAll``; DCMH's copy is
v7.3), ``nus-wide-tc10-lall.mat`` (``LAll``, 10 labels). Split: the UCCH protocol, the
last 2,100 rows are queries.
"""

from __future__ import annotations

from pathlib import Path

from cmhbench.arrays import read_matlab
from cmhbench.data import CrossModalData
from cmhbench.datasets.field import FieldDataset, features, multi_hot
from cmhbench.registry import register_dataset

NAMES = ("nus-wide-tc10-xall-vgg.mat", "nus-wide-tc10-yall.mat", "nus-wide-tc10-lall.mat")
KEYS = ("XAll", "YAll", "LAll")
N_QUERY = 2100


@register_dataset("nus-wide-tc10")
class NUSWideTC10(FieldDataset):
    """NUS-WIDE (top-10 concepts) from UCCH's feature files."""

    folders = ("NUS-WIDE-TC10", "nus-wide-tc10")
    source = "the links in github.com/penghu-cs/UCCH (data/README.md); text and labels as in DCMH"
    short_name = "NUS-WIDE"
    description = (
        "NUS-WIDE top-10: 186,577 pairs, 10 labels, 4,096-d VGG-19 image, 1,000-d BoW; "
        "UCCH split (last 2,100 rows are queries)"
    )

    def files(self) -> list[Path]:
        return [self.require(name) for name in NAMES]

    def load(self, *, seed: int = 0) -> CrossModalData:
        paths = self.files()
        image, text, labels = (
            read_matlab(path, [key])[key] for path, key in zip(paths, KEYS, strict=True)
        )
        return self.ucch_split(
            features(image, paths[0], "XAll"),
            features(text, paths[1], "YAll"),
            multi_hot(labels, paths[2], "LAll"),
            n_query=N_QUERY,
            files=paths,
        )
