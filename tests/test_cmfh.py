"""CMFH: both variants follow their MATLAB files' formulas (written out here with
samples as columns, as the files have them)."""

from __future__ import annotations

import numpy as np
import pytest
from uci_scores import uci_mfeat_maps

from cmhbench.data import PairedSet
from cmhbench.methods.cmfh import CMFH

LAMBDA, MU, GAMMA = 0.5, 100.0, 0.01


def views(n=40, dx=7, dy=5):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, dx)).astype(np.float32)
    t = rng.standard_normal((n, dy)).astype(np.float32)
    return x, t, (x - x.mean(0)).astype(np.float64).T, (t - t.mean(0)).astype(np.float64).T


def test_the_author_variant_is_solveCMFH_m():
    x, t, x1, x2 = views()
    bits, (dx, n), dy = 4, x1.shape, x2.shape[0]
    method = CMFH(bits, max_iterations=3)
    method.fit(PairedSet(x, t), seed=0)
    start = np.random.default_rng(0)  # the starts CMFH.fit draws, in its order
    y = start.random((n, bits)).T
    p1, p2 = start.random((dx, bits)).T, start.random((dy, bits)).T
    eye = np.eye(bits)
    for _ in range(3):
        u1 = x1 @ y.T @ np.linalg.inv(y @ y.T + GAMMA * eye)
        u2 = x2 @ y.T @ np.linalg.inv(y @ y.T + GAMMA * eye)
        left = LAMBDA * u1.T @ u1 + (1 - LAMBDA) * u2.T @ u2 + (2 * MU + GAMMA) * eye
        right = LAMBDA * u1.T @ x1 + (1 - LAMBDA) * u2.T @ x2 + MU * (p1 @ x1 + p2 @ x2)
        y = np.linalg.solve(left, right)
        p1 = y @ x1.T @ np.linalg.inv(x1 @ x1.T + GAMMA * np.eye(dx))
        p2 = y @ x2.T @ np.linalg.inv(x2 @ x2.T + GAMMA * np.eye(dy))
    assert np.allclose(method.projections["image"], p1.T)
    assert np.allclose(method.projections["text"], p2.T)
    norm = np.linalg.norm  # solveCMFH.m's objective: unsquared Frobenius norms
    objective = (
        LAMBDA * norm(x1 - u1 @ y)
        + (1 - LAMBDA) * norm(x2 - u2 @ y)
        + MU * (norm(y - p1 @ x1) + norm(y - p2 @ x2))
        + GAMMA * (norm(u1) + norm(u2) + norm(p1) + norm(p2) + norm(y))
    )
    assert np.isclose(method.history[-1], objective)


def test_the_toolbox_variant_is_CMFH_learn_m_as_matlab_parses_it():
    x, t, x1, x2 = views()
    bits, n = 4, x.shape[0]
    method = CMFH(bits, variant="toolbox")
    method.fit(PairedSet(x, t), seed=0)
    start = np.random.default_rng(0)
    y = start.random((n, bits))
    w1, w2 = start.random((x.shape[1], bits)), start.random((t.shape[1], bits))
    a, b, eye = x1.T, x2.T, np.eye(bits)
    for _ in range(25):
        u1 = np.linalg.solve(y.T @ y + GAMMA * eye, y.T @ a)
        u2 = np.linalg.solve(y.T @ y + GAMMA * eye, y.T @ b)
        left = 0.5 * (u1 @ u1.T + (MU + GAMMA) * eye) + 0.5 * (u2 @ u2.T + (MU + GAMMA) * eye)
        y = (0.5 * a @ (u1.T + MU * w1) + 0.5 * b @ (u2.T + MU * w2)) @ np.linalg.inv(left)
        # W = mu * (mu*X'*X + gamma*I) \ X'*Y parses as (mu (mu X'X + gamma I)) \ (X'Y)
        w1 = np.linalg.solve(MU * (MU * a.T @ a + GAMMA * np.eye(a.shape[1])), a.T @ y)
        w2 = np.linalg.solve(MU * (MU * b.T @ b + GAMMA * np.eye(b.shape[1])), b.T @ y)
    assert np.allclose(method.projections["image"], w1)
    assert np.allclose(method.projections["text"], w2)


def test_accumulating_the_gram_matrix_by_row_blocks_changes_nothing(monkeypatch):
    import cmhbench.methods.cmfh as cmfh

    x, t, _, _ = views(n=40)
    whole = CMFH(4, max_iterations=5)
    whole.fit(PairedSet(x, t), seed=3)
    monkeypatch.setattr(cmfh, "GRAM_ROWS", 7)  # 40 rows: five full blocks and a short one
    blocked = CMFH(4, max_iterations=5)
    blocked.fit(PairedSet(x, t), seed=3)
    for modality in ("image", "text"):
        assert np.allclose(whole.projections[modality], blocked.projections[modality])
        assert not np.allclose(whole.projections[modality], 0)


def test_the_author_variant_stops_when_its_objective_falls_by_less_than_the_tolerance():
    x, t, _, _ = views(n=60)
    method = CMFH(4)
    method.fit(PairedSet(x, t), seed=0)
    history = method.history
    assert 1 < len(history) < method.params.max_iterations
    steps = np.diff(history)
    assert history[-2] - history[-1] < method.params.tolerance
    assert np.all(-steps[:-1] >= method.params.tolerance)


@pytest.mark.slow
def test_the_author_variant_beats_the_toolbox_copy_on_uci_mfeat():
    """The toolbox's precedence bug divides the projections by mu^2, so its V steps
    nearly ignore the hash functions (0.41 against 0.50 image->text in the docstring)."""
    author = uci_mfeat_maps(CMFH(32))["i2t"]
    toolbox = uci_mfeat_maps(CMFH(32, variant="toolbox"))["i2t"]
    assert author > toolbox + 0.05, (author, toolbox)
