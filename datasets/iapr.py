"""``iapr-tc12``: IAPR TC-12 (20,000 pairs, 255 labels, 2,912-d BoW).

One MATLAB file in the DLFH layout, ``iapr-tc12-rand.mat`` (UCCH) or ``iapr-tc12.mat``
(DLFH): ``VDatabase``/``VTest`` (4,096-d CNN-F image features), ``YDatabase``/``YTest``
(text), ``databaseL``/``testL`` (labels). As in UCCH's code, the rows are
[Database; Test] and the Test block (2,000 rows) is the query set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cmhbench.arrays import read_matlab
from cmhbench.data import CrossModalData
from cmhbench.datasets.field import FieldDataset, features, multi_hot
from cmhbench.registry import register_dataset

KEYS = ("VDatabase", "YDatabase", "databaseL", "VTest", "YTest", "testL")


@register_dataset("iapr-tc12")
class IAPRTC12(FieldDataset):
    """IAPR TC-12 from the DLFH-layout file that UCCH uses."""

    folders = ("IAPR-TC12", "iapr-tc12")
    source = (
        "the links in github.com/penghu-cs/UCCH (data/README.md) or github.com/jiangqy/DLFH-TIP2019"
    )
    short_name = "IAPR TC-12"
    description = (
        "IAPR TC-12: 20,000 pairs, 255 labels, 4,096-d CNN-F image, 2,912-d BoW; "
        "the file's Test block (2,000) are the queries"
    )

    def files(self) -> list[Path]:
        return [self.require("iapr-tc12-rand.mat", "iapr-tc12.mat")]

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
        return self.ucch_split(image, text, labels, n_query=a["VTest"].shape[0], files=[path])
