"""Batched L-BFGS: each column reaches its own problem's minimiser."""

from __future__ import annotations

import numpy as np
import scipy.optimize
from scipy.special import expit

from cmhbench.methods._batched_lbfgs import minimize_columns


def test_independent_quadratics_reach_their_own_minimisers():
    rng = np.random.default_rng(0)
    d, q = 6, 4
    matrices = [
        m @ m.T + s * np.eye(d)
        for m, s in zip(rng.normal(size=(q, d, d)), (0.1, 1, 10, 100), strict=True)
    ]
    targets = rng.normal(size=(d, q))

    def objective(x, columns):
        products = np.stack([matrices[j] @ x[:, k] for k, j in enumerate(columns)], axis=1)
        values = 0.5 * np.sum(x * products, 0) - np.sum(targets[:, columns] * x, 0)
        return values, products - targets[:, columns]

    found = minimize_columns(
        objective, np.zeros((d, q)), gradient_tolerance=1e-10, progress_tolerance=0.0
    )
    for j, a in enumerate(matrices):
        assert np.allclose(found[:, j], np.linalg.solve(a, targets[:, j]), atol=1e-7)


def test_logistic_columns_match_one_scipy_run_per_column():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(80, 5))
    labels = np.sign(features @ rng.normal(size=(5, 3)) + rng.normal(size=(80, 3)))

    def objective(w, columns):
        margins = labels[:, columns] * (features @ w)
        values = np.logaddexp(0, -margins).sum(0) + 0.1 * np.sum(w**2, 0)
        return values, -features.T @ (labels[:, columns] * expit(-margins)) + 0.2 * w

    found = minimize_columns(objective, np.zeros((5, 3)), gradient_tolerance=1e-9)
    for j in range(3):

        def single(w, j=j):
            values, gradient = objective(w[:, None], np.array([j]))
            return values[0], gradient[:, 0]

        result = scipy.optimize.minimize(single, np.zeros(5), jac=True, method="BFGS", tol=1e-10)
        assert np.allclose(found[:, j], result.x, atol=1e-6)
