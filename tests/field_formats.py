"""Writers for small fixture files in the field's exact formats (used by the tests)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import scipy.io

MATLAB_73_HEADER = (
    b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Nov 23 12:00:00 2026 "
    b"HDF5 schema 1.00 ."
)


def save_v5(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """A MATLAB v5/v7 file, as scipy (and MATLAB's ``save -v7``) writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, arrays)
    return path


def save_v73(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """A MATLAB v7.3 file: HDF5 with MATLAB's 512-byte header, matrices column-major
    (so h5py sees each one transposed, as with real v7.3 files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w", userblock_size=512) as f:
        for key, array in arrays.items():
            f[key] = np.asarray(array).T
            f[key].attrs["MATLAB_class"] = np.bytes_(
                "double" if array.dtype.kind == "f" else "uint8"
            )
    header = MATLAB_73_HEADER.ljust(116) + b"\0" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as f:
        f.write(header)
    return path


def save_h5py(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """A Python-written HDF5 file (row-major), like UCCH's MS-COCO ``.h5py``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        for key, array in arrays.items():
            f[key] = array
    return path


def aligned_arrays(n: int, image_dim: int, text_dim: int, n_labels: int, start: int = 0):
    """Image, text and labels whose rows all encode their row number, so that a test
    can check row alignment (and transposition) after loading.

    Column 0 of image and text is the row number; the labels of row i are label
    i % n_labels plus label (i // n_labels) % n_labels.
    """
    rows = np.arange(start, start + n)
    rng = np.random.default_rng(n)
    image = rng.standard_normal((n, image_dim))
    text = (rng.random((n, text_dim)) < 0.3).astype(np.float64)
    image[:, 0] = text[:, 0] = rows
    labels = np.zeros((n, n_labels), dtype=np.uint8)
    labels[np.arange(n), rows % n_labels] = 1
    labels[np.arange(n), (rows // n_labels) % n_labels] = 1
    return image, text, labels
