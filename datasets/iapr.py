"""``iapr-tc12``: IAPR TC-12 (20,000 pairs, 255 labels, 2,912-d BoW).

One MATLAB file in the DLFH layout, ``iapr-tc12-rand.mat`` (UCCH) or ``iapr-tc12.mat``
(DLFH): ``VDatabase``/``VTest`` (4,096-d CNN-F image features), ``YDatabase``/``YTest``
(text), ``databaseL``/``testL`` (labels). As in UCCH's code, the rows are
[Database; Test] and the Test block (2,000 rows) is the query set.
"""

from __future__ import annotations

import numpy as np

from cmhbench.data import CrossModalData
from cmhbench.datasets.field import FileSet, data_root, features, multi_hot, ucch_split_data
from cmhbench.datasets.matfile import read_matlab
from cmhbench.registry import register_dataset

FILES = FileSet(
    "iapr-tc12",
    ("IAPR-TC12", "iapr-tc12"),
    "the links in github.com/penghu-cs/UCCH (data/README.md) or github.com/jiangqy/DLFH-TIP2019",
)
KEYS = ("VDatabase", "YDatabase", "databaseL", "VTest", "YTest", "testL")


@register_dataset("iapr-tc12")
class IAPRTC12:
    """IAPR TC-12 from the DLFH-layout file that UCCH uses."""

    short_name = "IAPR TC-12"
    description = (
        "IAPR TC-12: 20,000 pairs, 255 labels, 4,096-d CNN-F image, 2,912-d BoW; "
        "the file's Test block (2,000) are the queries"
    )
    #: Supervised methods train on this many sampled retrieval pairs (UCCH's comparison).
    supervised_train_size = 5000

    def __init__(self, root: str | None = None):
        self.root = data_root(root)

    def files(self) -> list:
        return [FILES.require(self.root, "iapr-tc12-rand.mat", "iapr-tc12.mat")]

    def load(self, *, seed: int = 0) -> CrossModalData:
        (path,) = self.files()
        a = read_matlab(path, KEYS)
        image = np.concatenate(
            [features(a["VDatabase"], path, "VDatabase"), features(a["VTest"], path, "VTest")]
        )
        text = np.concatenate(
            [features(a["YDatabase"], path, "YDatabase"), features(a["YTest"], path, "YTest")]
        )
        labels = np.concatenate(
            [multi_hot(a["databaseL"], path, "databaseL"), multi_hot(a["testL"], path, "testL")]
        )
        return ucch_split_data(
            "iapr-tc12", image, text, labels, n_query=a["VTest"].shape[0], files=[path]
        )
