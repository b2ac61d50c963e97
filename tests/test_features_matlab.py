"""MATLAB files written by ``cmhbench.features`` read back as the loaders read the
field's files."""

from __future__ import annotations

import time

import h5py
import numpy as np
import pytest

from cmhbench.arrays import read_matlab
from cmhbench.errors import CmhbenchError
from cmhbench.features.matlab import write_matlab

ARRAYS = {
    "XAll": np.arange(12, dtype=np.float32).reshape(4, 3),
    "LAll": np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=np.uint8),
}


@pytest.mark.parametrize("version", ["v5", "v7.3"])
def test_arrays_read_back_with_one_row_per_item_and_their_dtype(tmp_path, version):
    path = tmp_path / "mirflickr25k-iall-vgg.mat"
    write_matlab(path, ARRAYS, version)
    found = read_matlab(path, list(ARRAYS))
    for key, array in ARRAYS.items():
        np.testing.assert_array_equal(found[key], array)
        assert found[key].dtype == array.dtype


@pytest.mark.parametrize("version", ["v5", "v7.3"])
def test_the_same_arrays_give_the_same_bytes_a_second_later(tmp_path, version):
    first, second = tmp_path / "a.mat", tmp_path / "b.mat"
    write_matlab(first, ARRAYS, version)
    time.sleep(1.05)  # scipy's header and HDF5's object times count seconds
    write_matlab(second, ARRAYS, version)
    assert first.read_bytes() == second.read_bytes()
    assert b"Created on" not in first.read_bytes()[:128]


def test_v73_is_hdf5_with_matlab_s_header_column_major_and_classes(tmp_path):
    path = tmp_path / "labels.mat"
    write_matlab(path, ARRAYS, "v7.3")
    head = path.read_bytes()[:128]
    assert head.startswith(b"MATLAB 7.3 MAT-file") and head[124:128] == b"\x00\x02IM"
    with h5py.File(path, "r") as f:
        assert f["XAll"].shape == (3, 4)  # as MATLAB stores a 4 x 3 matrix
        assert f["XAll"].attrs["MATLAB_class"] == b"single"
        assert f["LAll"].attrs["MATLAB_class"] == b"uint8"


def test_what_matlab_cannot_hold_is_refused(tmp_path):
    with pytest.raises(CmhbenchError, match=r"names: a 2-d numeric array is needed"):
        write_matlab(tmp_path / "x.mat", {"names": np.array([["a"]])}, "v5")
