"""Published results shipped with the package, for side-by-side rows in tables.

Only numbers measured under a protocol the suite reproduces are shipped, each
source with its metric, so that a table never mixes metrics (the field also
publishes mAP@50, which is not comparable with mAP@all).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import pandas as pd


@dataclass(frozen=True)
class PublishedSource:
    """One paper's result tables as shipped data.

    Attributes:
        key: short name used in table footnotes.
        citation: the reference printed in the footnote.
        file: CSV in this package (``cmhbench.report.published``) with columns dataset, method,
            supervised (yes/no), direction (i2t/t2i), bits, map.
        metric: the suite's metric name these numbers correspond to.
        protocol: one line on how the numbers were measured.
    """

    key: str
    citation: str
    file: str
    metric: str
    protocol: str


SOURCES: tuple[PublishedSource, ...] = (
    PublishedSource(
        key="UCCH TPAMI 2023",
        citation="P. Hu et al., Unsupervised Contrastive Cross-Modal Hashing, "
        "IEEE TPAMI 45(3):3877-3889, 2023, Tables 1-2",
        file="ucch_tpami2023_map_all.csv",
        metric="map",
        protocol="mAP@all on the UCCH split and features; supervised methods on 5,000 pairs; "
        "the paper does not say under which retrieval protocol each baseline was scored",
    ),
)


def published_frame(metric: str, k: int | None = None) -> pd.DataFrame:
    """Every shipped published number for ``metric`` (a record-frame metric name,
    with its K for the @K metrics), one row per value.

    Columns: dataset, method, supervised (bool), direction, bits, value, source (the
    :attr:`PublishedSource.key`). Empty when no source reports ``metric``.
    """
    frames = []
    for source in SOURCES:
        if source.metric != metric or k is not None:
            continue
        path = files(__name__) / source.file
        with path.open(encoding="utf-8") as handle:
            table = pd.read_csv(handle)
        frames.append(
            pd.DataFrame(
                {
                    "dataset": table["dataset"],
                    "method": table["method"],
                    "supervised": table["supervised"].eq("yes"),
                    "direction": table["direction"],
                    "bits": table["bits"].astype(int),
                    "value": table["map"].astype(float),
                    "source": source.key,
                }
            )
        )
    columns = ["dataset", "method", "supervised", "direction", "bits", "value", "source"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def source(key: str) -> PublishedSource:
    """The source named ``key``."""
    return next(item for item in SOURCES if item.key == key)
