"""Write a uci-mfeat view pair as the drivers here read it: the suite's split and
standardised arrays, training set = retrieval set.

    python tests/octave/export_arrays.py fac-kar OUT_FOLDER   # -> OUT_FOLDER/uci_fac_kar.mat
"""

from __future__ import annotations

import sys
from pathlib import Path

import scipy.io

from cmhbench.datasets import load_dataset


def export(pair: str, folder: Path) -> Path:
    image, text = pair.split("-")
    data = load_dataset(f"uci-mfeat:image={image}:text={text}")
    parts = {"tr": data.train_idx, "te": data.query_idx, "db": data.retrieval_idx}
    arrays = {
        f"{name}_{part}": getattr(data, view)[rows].astype(float)
        for part, rows in parts.items()
        for name, view in (("I", "image"), ("T", "text"))
    }
    arrays["L_tr"] = data.labels[data.train_idx].astype(float)
    path = folder / f"uci_{pair.replace('-', '_')}.mat"
    scipy.io.savemat(path, arrays)
    return path


if __name__ == "__main__":
    print(export(sys.argv[1], Path(sys.argv[2])))
