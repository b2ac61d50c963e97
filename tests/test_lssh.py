"""LSSH follows solveLSSH.m and LSSHcoding.m (written out here with samples as
columns) and lands near their Octave run on uci-mfeat."""

from __future__ import annotations

import numpy as np
import pytest

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.methods._sparse import bounded_basis, lasso_fista
from cmhbench.methods.lssh import LSSH, principal_directions

MU, RHO, LAMBDA = 0.05, 0.5, 0.2


def views(n=80, dx=10, dy=7):
    rng = np.random.default_rng(3)
    latent = rng.standard_normal((n, 3))
    x = latent @ rng.standard_normal((3, dx)) + 0.3 * rng.standard_normal((n, dx))
    y = latent @ rng.standard_normal((3, dy)) + 0.3 * rng.standard_normal((n, dy))
    return x.astype(np.float32), y.astype(np.float32)


def columns(rows):
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).T


def test_one_round_and_the_codes_are_solveLSSH_m_and_LSSHcoding_m():
    x_raw, y_raw = views()
    bits, atoms = 4, 16
    method = LSSH(bits, atoms=atoms, rounds=1)
    method.fit(PairedSet(x_raw, y_raw), seed=5)
    xc = x_raw.astype(np.float64) - x_raw.mean(0, dtype=np.float64)
    yc = y_raw.astype(np.float64) - y_raw.mean(0, dtype=np.float64)
    px = principal_directions(xc, bits)
    X, T = columns(xc @ px), columns(yc)
    start = np.random.default_rng(5)
    a = start.standard_normal((T.shape[0], bits))  # the code's A (text basis)
    b = start.standard_normal((bits, atoms))  # B (dictionary)
    r = start.standard_normal((bits, atoms))  # R
    s = lasso_fista(b, X, RHO, 30)
    y = np.linalg.solve(a.T @ a + LAMBDA / MU * np.eye(bits), LAMBDA / MU * r @ s + a.T @ T)
    a = bounded_basis(T, y)
    s = lasso_fista(
        np.vstack([b, np.sqrt(LAMBDA) * r]), np.vstack([X, np.sqrt(LAMBDA) * y]), RHO, 30
    )
    b, r = bounded_basis(X, s), bounded_basis(y, s)
    assert np.allclose(method.dictionary, b) and np.allclose(method.mapping, r)
    hold = np.linalg.inv(a.T @ a + LAMBDA / MU * np.eye(bits))
    text_codes = np.where(hold @ a.T @ T >= 0, 1, -1).T
    assert np.array_equal(method.encode(y_raw, "text"), text_codes)
    image_codes = np.where(r @ lasso_fista(b, X, RHO, 30) >= 0, 1, -1).T
    assert np.array_equal(method.encode(x_raw, "image"), image_codes)
    unified = hold @ (LAMBDA / MU * r @ lasso_fista(b, X, RHO, 30) + a.T @ T)
    assert np.array_equal(method.unified_codes(x_raw, y_raw), np.where(unified >= 0, 1, -1).T)


def test_more_bits_than_image_dimensions_is_a_clear_error():
    x, y = views(dx=10)
    with pytest.raises(CmhbenchError, match=r"onto 16 principal directions.*only 10"):
        LSSH(16).fit(PairedSet(x, y))


def test_a_large_training_set_is_sampled_to_max_train():
    x, y = views(n=80)
    method = LSSH(4, atoms=8, rounds=2, max_train=50)
    method.fit(PairedSet(x, y), seed=0)
    assert method.encode(x, "image").shape == (80, 4)
    assert len(method.training_history()) == 2


def test_the_objective_falls_over_the_rounds():
    x, y = views(n=120)
    method = LSSH(4, atoms=16, rounds=6)
    method.fit(PairedSet(x, y), seed=1)
    history = method.training_history()
    assert history[-1] < history[0]
