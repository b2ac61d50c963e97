"""``uci-mfeat``: the UCI Multiple Features digits, two of its six views as modalities.

Real data shipped with the package (``data/uci-mfeat``, about 1.8 MB): 2,000
handwritten digits, 10 classes of 200, six feature sets of the same digits. Two
views play the image and the text modality; the default is image = ``pix`` (240
pixel averages) and text = ``fou`` (76 Fourier coefficients). Licence CC BY 4.0;
attribution in ``data/uci-mfeat/README.md`` and the project README.

Split (seeded by the grid's data seed): walk ``default_rng(seed).permutation(2000)``
and take the first ``queries_per_class`` digits of each class (20) as queries; the
other 1,800 are both the retrieval set and the training set (the unsupervised
protocol). Both keep the permutation's order; seed 0 gives the split of
``split-pix-fou-seed0.npz`` that the UCCH reproduction uses.

Features are standardised per column with the retrieval set's mean and standard
deviation (``standardize=true``, the default): the views' scales differ by two
orders of magnitude (pixel averages 0-6, Fourier magnitudes 0-0.8), and UCCH scores
higher on standardised inputs (image->text 0.690 against 0.429 at 16 bits, seed means).
``standardize=false`` gives the raw values, the arrays UCCH's official code was run on
(``results/ucch-fidelity`` compares the two codes there). Options go after the name,
e.g. ``uci-mfeat:image=fac:text=kar`` or ``uci-mfeat:standardize=false``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from cmhbench.data import CrossModalData, class_stratified_split, standardise
from cmhbench.datasets.base import Dataset
from cmhbench.errors import CmhbenchError
from cmhbench.registry import register_dataset

DATA_DIR = Path(__file__).parent / "data" / "uci-mfeat"
View = Literal["fou", "fac", "kar", "pix", "zer", "mor"]
VIEW_DIMS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}
N_ITEMS = 2000
CITATION = (
    "UCI Multiple Features (CC BY 4.0): M. van Breukelen, R. P. W. Duin, D. M. J. Tax, "
    "J. E. den Hartog, Kybernetika 34(4):381-386, 1998"
)


def expected_checksums() -> dict[str, str]:
    """SHA-256 of each uncompressed CSV, from the shipped SHA256SUMS."""
    lines = (DATA_DIR / "SHA256SUMS").read_text().split("\n")
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def read_view(view: str) -> tuple[np.ndarray, np.ndarray]:
    """One view's features (float32, 2000 x d) and digit labels (int64), checksum-verified."""
    if view not in VIEW_DIMS:
        raise CmhbenchError(f"unknown uci-mfeat view {view!r}; choose from {', '.join(VIEW_DIMS)}")
    name = f"mfeat-{view}.csv"
    path = DATA_DIR / f"{name}.gz"
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        raise CmhbenchError(f"cannot read {path} ({exc}); reinstall cmhbench") from None
    if hashlib.sha256(raw).hexdigest() != expected_checksums()[name]:
        raise CmhbenchError(f"{path} does not match its SHA-256 in SHA256SUMS; reinstall cmhbench")
    table = pd.read_csv(io.BytesIO(raw)).to_numpy()
    if table.shape != (N_ITEMS, VIEW_DIMS[view] + 1):
        raise CmhbenchError(
            f"{path}: expected {N_ITEMS} rows of {VIEW_DIMS[view]} features plus a label, "
            f"got shape {table.shape}"
        )
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)


@register_dataset("uci-mfeat")
class UCIMultipleFeatures(Dataset):
    """Two views of the UCI Multiple Features digits (real data, shipped)."""

    short_name = "UCI Mfeat"
    description = (
        "UCI Multiple Features digits, 2,000 items, 10 classes; image=pix (240-d), "
        "text=fou (76-d) by default; 200 queries (20 per class), retrieval = train = 1,800"
    )

    def __init__(
        self,
        image: View = "pix",
        text: View = "fou",
        standardize: bool = True,
        queries_per_class: int = 20,
    ):
        for role, view in (("image", image), ("text", text)):
            if view not in VIEW_DIMS:
                raise CmhbenchError(
                    f"uci-mfeat {role} view must be one of {', '.join(get_args(View))}; "
                    f"got {view!r}"
                )
        if image == text:
            raise CmhbenchError(f"uci-mfeat needs two different views, got {image!r} twice")
        self.image, self.text = image, text
        self.standardize = standardize
        self.standardised_on_retrieval = standardize
        self.queries_per_class = queries_per_class

    @property
    def name(self) -> str:
        """'uci-mfeat' for the defaults, else a name that spells out the options."""
        parts = ["uci-mfeat"]
        if (self.image, self.text) != ("pix", "fou"):
            parts.append(f"{self.image}-{self.text}")
        if not self.standardize:
            parts.append("raw")
        if self.queries_per_class != 20:
            parts.append(f"q{self.queries_per_class}")
        return "-".join(parts)

    def load(self, *, seed: int = 0) -> CrossModalData:
        image, classes = read_view(self.image)
        text, text_classes = read_view(self.text)
        if not np.array_equal(classes, text_classes):
            raise CmhbenchError(f"uci-mfeat views {self.image} and {self.text} disagree on labels")
        query, retrieval = class_stratified_split(
            classes, per_class=self.queries_per_class, seed=seed
        )
        if self.standardize:
            image, text = standardise(image, retrieval), standardise(text, retrieval)
        return CrossModalData(
            name=self.name,
            image=image,
            text=text,
            labels=np.eye(int(classes.max()) + 1, dtype=np.uint8)[classes],
            train_idx=retrieval,
            query_idx=query,
            retrieval_idx=retrieval,
            split={
                "protocol": f"{self.queries_per_class} queries per class; train = retrieval",
                "seed": seed,
                "views": {"image": self.image, "text": self.text},
                "standardized": self.standardize,
                "source": CITATION,
            },
        )
