"""CVH (the CCA special case) on hand-made views."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import encode_and_score

from cmhbench.data import PairedSet
from cmhbench.datasets import load_dataset
from cmhbench.errors import CmhbenchError
from cmhbench.methods.cvh import CVH, canonical_directions


def planted_views(n: int = 4000, seed: int = 0):
    """x0 and y1 share a signal z; y0 is a loud text feature that x1 only weakly follows.

    CCA must pick (x0, y1) (correlation near 1). The toolbox's C_xy C_yy C_yx, which
    lacks C_yy's inverse, weighs each text direction by its variance and picks (x1, y0)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    loud = 10 * rng.standard_normal(n)
    x = np.column_stack([z + 0.1 * rng.standard_normal(n), 0.05 * loud + rng.standard_normal(n)])
    y = np.column_stack([loud, -z + 0.1 * rng.standard_normal(n), rng.standard_normal(n)])
    return x, y


def test_recovers_the_planted_shared_direction_not_the_loud_one():
    x, y = planted_views()
    a, b, rho = canonical_directions(x - x.mean(0), y - y.mean(0), 1, eps=1e-6)
    assert abs(a[0, 0]) > 20 * abs(a[1, 0]) and abs(b[1, 0]) > 20 * max(abs(b[0, 0]), abs(b[2, 0]))
    assert rho[0] == pytest.approx(0.99, abs=0.01)
    c_xy = (x - x.mean(0)).T @ (y - y.mean(0)) / len(x)
    c_yy = np.cov(y.T, bias=True)
    toolbox = c_xy @ c_yy @ c_xy.T  # the third-party mistake: no inverse of C_yy
    top = np.linalg.eigh(toolbox)[1][:, -1]
    assert abs(top[1]) > abs(top[0])  # it would have chosen the loud direction


def test_codes_of_a_pair_agree_along_the_shared_direction():
    x, y = planted_views()
    method = CVH(1)
    method.fit(PairedSet(x.astype(np.float32), y.astype(np.float32)))
    agreement = (method.encode(x, "image") == method.encode(y, "text")).mean()
    assert agreement > 0.9


def test_correlations_come_strongest_first_and_roles_swap_for_wider_text():
    x, y = planted_views()
    a, b, rho = canonical_directions(y - y.mean(0), x - x.mean(0), 2, eps=1e-6)
    assert a.shape == (3, 2) and b.shape == (2, 2)
    assert rho[0] >= rho[1]


def test_more_bits_than_directions_is_a_clear_error():
    x, y = planted_views(50)
    with pytest.raises(CmhbenchError, match="at most min"):
        CVH(3).fit(PairedSet(x.astype(np.float32), y.astype(np.float32)))


def test_learns_on_synthetic_and_falls_with_more_bits():
    data = load_dataset("synthetic")
    scores = []
    for bits in (16, 64):
        method = CVH(bits)
        method.fit(data.part("train", with_labels=False))
        scores.append(encode_and_score(method, data)[1]["i2t"].map)
    assert scores[0] > 0.4  # random codes score 0.25 here
    assert scores[0] > scores[1]
