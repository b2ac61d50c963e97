"""LSSH's solvers: LeastR's accelerated gradient, batched, and the bounded basis."""

from __future__ import annotations

import numpy as np
import scipy.optimize

from cmhbench.methods._sparse import bounded_basis, lasso_fista


def least_r(design, target, ratio, steps):
    """SLEP 4.1 LeastR for one target with solveLSSH.m's options, written out (its
    line-search test with the slack that accepts equality, see LINE_SEARCH_SLACK)."""
    aty = design.T @ target
    lam = ratio * np.abs(aty).max()
    x = np.zeros(design.shape[1])
    ax = design @ x
    xp, axp, xxp = x, ax, np.zeros_like(x)
    big_l, alphap, alpha = 1.0, 0.0, 1.0
    for _ in range(steps):
        beta = (alphap - 1) / alpha
        s = x + beta * xxp
        a_s = ax + beta * (ax - axp)
        g = design.T @ a_s - aty
        xp, axp = x, ax
        tiny = False
        while True:
            v = s - g / big_l
            x = np.sign(v) * np.maximum(np.abs(v) - lam / big_l, 0)
            v = x - s
            ax = design @ x
            av = ax - a_s
            r_sum, l_sum = v @ v, av @ av
            if r_sum <= 1e-20:
                tiny = True
                break
            if l_sum <= r_sum * big_l * (1 + 1e-12):
                break
            big_l = max(2 * big_l, l_sum / r_sum)
        alphap, alpha = alpha, (1 + np.sqrt(4 * alpha * alpha + 1)) / 2
        xxp = x - xp
        if tiny:
            break
    return x


def test_batched_lasso_is_least_r_target_by_target():
    rng = np.random.default_rng(0)
    design = rng.standard_normal((6, 12))
    targets = rng.standard_normal((6, 9))
    targets[:, 3] = 0  # a zero target: no step moves it, it stops at once
    batched = lasso_fista(design, targets, 0.3, 30)
    for column in range(targets.shape[1]):
        expected = least_r(design, targets[:, column], 0.3, 30)
        assert np.allclose(batched[:, column], expected), column
    assert np.count_nonzero(batched) < batched.size / 2  # sparse
    assert not batched[:, 3].any()


def test_bounded_basis_solves_the_constrained_least_squares():
    rng = np.random.default_rng(1)
    codes = rng.standard_normal((4, 30))
    codes[2] = 0  # an unused atom
    targets = 3 * rng.standard_normal((5, 4)) @ codes + 0.1 * rng.standard_normal((5, 30))
    basis = bounded_basis(targets, codes)
    assert np.all(np.linalg.norm(basis, axis=0) <= 1 + 1e-6)
    assert not basis[:, 2].any()

    def loss(flat):
        return np.sum((targets - flat.reshape(5, 4) @ codes) ** 2)

    constraints = [
        {"type": "ineq", "fun": lambda flat, j=j: 1 - np.sum(flat.reshape(5, 4)[:, j] ** 2)}
        for j in range(4)
    ]
    direct = scipy.optimize.minimize(
        loss, np.zeros(20), constraints=constraints, method="SLSQP", options={"ftol": 1e-12}
    )
    assert np.isclose(loss(basis.ravel()), direct.fun, rtol=1e-6)
