"""MATLAB files as the field distributes its features: v5/v7 (scipy) or v7.3 (HDF5 with
MATLAB's 512-byte header, each matrix stored column-major with its ``MATLAB_class``),
both read back by :func:`cmhbench.arrays.read_matlab` with one row per item."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import numpy as np

from cmhbench.errors import CmhbenchError

MATLAB_CLASSES = {
    "float64": "double", "float32": "single", "int8": "int8", "uint8": "uint8",
    "int16": "int16", "uint16": "uint16", "int32": "int32", "uint32": "uint32",
    "int64": "int64", "uint64": "uint64",
}  # fmt: skip
HEADER_TEXT = 116  # bytes of descriptive text, then 8 of subsystem offset, version, endianness


def write_matlab(path: Path, arrays: dict[str, np.ndarray], version: Literal["v5", "v7.3"]) -> None:
    """Write ``arrays`` (2-d numeric, one row per item) as a MATLAB file of ``version``."""
    for key, array in arrays.items():
        if array.dtype.name not in MATLAB_CLASSES or array.ndim != 2:
            raise CmhbenchError(
                f"{key}: a 2-d numeric array is needed for {path}, got {array.dtype} {array.shape}"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    if version == "v5":
        import scipy.io

        scipy.io.savemat(path, arrays, do_compression=True)
        return
    import h5py

    with h5py.File(path, "w", userblock_size=512) as f:
        for key, array in arrays.items():
            f.create_dataset(key, data=array.T, compression="gzip")
            f[key].attrs["MATLAB_class"] = np.bytes_(MATLAB_CLASSES[array.dtype.name])
    created = time.strftime("%a %b %d %H:%M:%S %Y")
    text = f"MATLAB 7.3 MAT-file, Platform: cmhbench, Created on: {created} HDF5 schema 1.00 ."
    header = text.encode().ljust(HEADER_TEXT) + b"\0" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as f:
        f.write(header)
