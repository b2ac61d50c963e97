"""Reading arrays from files: ``.npz``, MATLAB v5/v7 and v7.3, row-major HDF5, ``.npy``.

The one reader behind the datasets (the field's feature files, a user's data file, a
split file), the stored codes of a cell and ``cmhbench eval``'s input.

MATLAB v7.3 files are HDF5 containers of column-major arrays, so h5py sees each
matrix transposed; :func:`read_matlab` detects the format from the file itself (the
HDF5 signature) and transposes, so callers always get one row per item. Python-written
HDF5 files (UCCH's MS-COCO ``.h5py``, a user's ``.h5``) are row-major and are read as
stored. Nothing here unpickles: object arrays are refused.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cmhbench.errors import CmhbenchError

HDF5_SUFFIXES = (".h5", ".hdf5", ".h5py")


def read_arrays(
    path: Path, keys: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, np.ndarray]:
    """Arrays ``keys`` (and those of ``optional`` that exist) of an ``.npz``, a MATLAB
    ``.mat`` or a row-major HDF5 file, told apart by the suffix.

    Raises:
        CmhbenchError: the file is missing or unreadable, or lacks one of ``keys``
            (the message lists what it has).
    """
    path = Path(path)
    if not path.is_file():
        raise CmhbenchError(f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".mat":
        wanted = [*keys, *(key for key in optional if key in matlab_keys(path))]
        return read_matlab(path, wanted)
    if suffix in HDF5_SUFFIXES:
        if not is_hdf5(path):
            raise CmhbenchError(f"{path} is not a readable HDF5 file")
        return _read_hdf5(path, keys, transpose=False, optional=optional)
    arrays = read_npz(path.read_bytes(), path)
    require_keys(path, keys, list(arrays))
    return {key: arrays[key] for key in (*keys, *optional) if key in arrays}


def read_npz(content: bytes, path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive given as ``content`` (read from ``path``,
    named in errors); never unpickles."""
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError) as exc:
        raise CmhbenchError(f"{path} is not a readable .npz file ({exc})") from None


def is_hdf5(path: Path) -> bool:
    """Whether ``path`` is an HDF5 container (MATLAB v7.3 or a plain HDF5 file)."""
    import h5py

    return h5py.is_hdf5(path)


def read_matlab(path: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Arrays ``keys`` of a MATLAB file, v5/v7 (scipy) or v7.3 (h5py, transposed)."""
    if is_hdf5(path):
        return _read_hdf5(path, keys, transpose=True)
    import scipy.io

    try:
        contents = scipy.io.loadmat(path, variable_names=list(keys))
    except (ValueError, TypeError, OSError, NotImplementedError) as exc:
        raise CmhbenchError(f"cannot read {path} as a MATLAB .mat file ({exc})") from None
    if any(key not in contents for key in keys):
        require_keys(path, keys, matlab_keys(path))
    return {key: np.asarray(contents[key]) for key in keys}


def matlab_keys(path: Path) -> list[str]:
    """The variable names in a MATLAB file (either format), for messages."""
    if is_hdf5(path):
        import h5py

        with h5py.File(path, "r") as f:
            return [k for k in f if not k.startswith("#")]
    import scipy.io

    return [name for name, _, _ in scipy.io.whosmat(path)]


def read_npy(path: Path) -> np.ndarray:
    """A numeric ``.npy`` array (object arrays would need unpickling: refused)."""
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise CmhbenchError(
                f"{path} holds a Python object array, which cannot be loaded without "
                "running pickled code; re-save it as a numeric array "
                "(np.save(path, np.stack(list(array)).astype('float32')))"
            ) from None
        raise CmhbenchError(f"cannot read {path} as a .npy file ({exc})") from None
    except OSError as exc:
        raise CmhbenchError(f"cannot read {path} as a .npy file ({exc})") from None
    return array


def _read_hdf5(
    path: Path, keys: Sequence[str], *, transpose: bool, optional: Sequence[str] = ()
) -> dict[str, np.ndarray]:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            require_keys(path, keys, list(f))
            arrays = {}
            for key in [*keys, *(key for key in optional if key in f)]:
                if not isinstance(f[key], h5py.Dataset):
                    raise CmhbenchError(f"{path}: {key} is a group, expected a numeric array")
                array = f[key][()]
                arrays[key] = np.ascontiguousarray(array.T) if transpose else array
            return arrays
    except OSError as exc:
        raise CmhbenchError(f"{path} is not a readable HDF5 file ({exc})") from None


def require_keys(path: Path, wanted: Sequence[str], present: Sequence[str]) -> None:
    """Raise one line naming the arrays of ``wanted`` that ``path`` lacks, and what it has."""
    missing = [key for key in wanted if key not in present]
    if missing:
        raise CmhbenchError(
            f"{path} lacks {', '.join(missing)}; it has {', '.join(sorted(present)) or 'nothing'}"
            f"; expected {', '.join(wanted)}"
        )
