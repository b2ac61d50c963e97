"""MATLAB files as the field distributes its features: v5/v7 (scipy) or v7.3 (HDF5 with
MATLAB's 512-byte header, each matrix stored column-major with its ``MATLAB_class``),
both read back by :func:`cmhbench.arrays.read_matlab` with one row per item."""

from __future__ import annotations

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
        _stamp(path, "MATLAB 5.0 MAT-file")
        return
    import h5py

    with h5py.File(path, "w", userblock_size=512) as f:
        for key, array in arrays.items():
            f.create_dataset(key, data=array.T, compression="gzip", track_times=False)
            f[key].attrs["MATLAB_class"] = np.bytes_(MATLAB_CLASSES[array.dtype.name])
    _stamp(path, "MATLAB 7.3 MAT-file", tail=b"\0" * 8 + b"\x00\x02" + b"IM")


def _stamp(path: Path, kind: str, tail: bytes = b"") -> None:
    """MATLAB's descriptive header text (then ``tail``: subsystem offset, version and
    endianness where the writer left them out) without a creation date, which scipy and
    MATLAB put there, so that the same arrays give the same bytes."""
    text = f"{kind}, Platform: cmhbench, Created by: cmhbench features"
    if kind.startswith("MATLAB 7.3"):
        text += " HDF5 schema 1.00 ."
    with open(path, "r+b") as f:
        f.write(text.encode().ljust(HEADER_TEXT) + tail)
