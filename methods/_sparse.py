"""Sparse coding and bounded-norm bases, as LSSH's code solves them.

- :func:`lasso_fista`: SLEP 4.1's ``LeastR`` with the options ``solveLSSH.m`` sets
  (start at 0, no normalisation, ``rFlag = 1``: the l1 weight is a ratio of each
  target's lambda_max = ||M^T z||_inf, accelerated gradient with its line search, a
  fixed number of steps), for many targets at once with each target's own step size.
- :func:`bounded_basis`: ``l2ls_learn_basis_dual.m`` (H. Lee et al., "Efficient sparse
  coding algorithms", NIPS 2007): min ||Z - B S||^2 subject to ||b_j|| <= 1, through
  its Lagrange dual, which the code minimises with MATLAB's ``fmincon``; here scipy's
  L-BFGS-B with the same objective and gradient (the dual is convex, so the start does
  not matter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize

TINY_STEP = 1e-20  # LeastR stops a target whose step changes it by less (squared norm)
# A retried step with the same support has ||M v||^2 / ||v||^2 equal to the L just set,
# so LeastR's test ||M v||^2 <= L ||v||^2 holds with equality and rounding decides it;
# this relative slack accepts it, as exact arithmetic does.
LINE_SEARCH_SLACK = 1e-12
# Lagrange multipliers stay above this fraction of the mean squared code, so that
# S S^T + diag(lambda) stays invertible when rows of S are linearly dependent (few
# items using some atoms); fmincon's trust region likewise keeps them positive.
MULTIPLIER_FLOOR = 1e-10


def _shrink(values: np.ndarray, thresholds: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Soft thresholding sign(v) max(|v| - t, 0), written into ``values`` (thresholds
    broadcast over rows; ``scratch``: a buffer of its shape). A value shrunk to zero
    keeps its sign bit, which no sum or product here tells apart."""
    magnitude = np.abs(values, out=scratch)
    magnitude -= thresholds
    np.maximum(magnitude, 0.0, out=magnitude)
    return np.copysign(magnitude, values, out=values)


def _row_norms_squared(matrix: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", matrix, matrix)


def lasso_fista(design: np.ndarray, targets: np.ndarray, ratio: float, steps: int) -> np.ndarray:
    """Sparse codes S (k x n) of the columns of ``targets`` (m x n) on ``design`` (m x k):
    each column minimises 1/2 ||M s - z||^2 + ratio ||M^T z||_inf ||s||_1, by ``steps``
    steps of LeastR's accelerated gradient from s = 0.

    LeastR's line search starts at L = 1 and, while ||M v||^2 > L ||v||^2 for the step
    v, sets L = max(2 L, ||M v||^2 / ||v||^2); L carries over to the next step. A
    target whose step moves it by less than ``TINY_STEP`` stops there. The one change
    is ``LINE_SEARCH_SLACK`` on the line-search test.

    Layout, for speed: the work arrays hold one target per row (n x k), so that a
    line-search retry gathers whole rows; a step over every target writes into buffers
    made once (a fresh n x k array per operation costs more in page faults than its
    arithmetic)."""
    rows_of_targets = targets.T  # n x m
    (n, m), k = rows_of_targets.shape, design.shape[1]
    correlation = rows_of_targets @ design  # n x k: M^T z per target
    weights = ratio * np.abs(correlation).max(axis=1)
    codes, previous, search, gradient = (np.zeros((n, k)) for _ in range(4))
    fitted, fitted_previous, fitted_search = (np.zeros(rows_of_targets.shape) for _ in range(3))
    every = _StepBuffers.make(n, k, m)
    lipschitz = np.ones(n)
    active = np.ones(n, dtype=bool)
    alpha_previous, alpha = 0.0, 1.0
    for _ in range(steps):
        beta = (alpha_previous - 1) / alpha
        _extrapolate(codes, previous, beta, out=search)
        _extrapolate(fitted, fitted_previous, beta, out=fitted_search)
        np.matmul(fitted_search, design, out=gradient)
        gradient -= correlation
        np.copyto(previous, codes)
        np.copyto(fitted_previous, fitted)
        stopped = np.zeros(n, dtype=bool)
        pending = np.flatnonzero(active)
        while pending.size:
            rows = slice(None) if pending.size == n else pending
            buffers = every if pending.size == n else _StepBuffers.make(pending.size, k, m)
            step = lipschitz[rows]
            start = search[rows]
            trial = np.divide(gradient[rows], step[:, None], out=buffers.trial)
            np.subtract(start, trial, out=trial)
            _shrink(trial, (weights[rows] / step)[:, None], buffers.scratch)
            fitted_trial = np.matmul(trial, design.T, out=buffers.fitted)
            r_sum = _row_norms_squared(np.subtract(trial, start, out=buffers.scratch))
            l_sum = _row_norms_squared(
                np.subtract(fitted_trial, fitted_search[rows], out=buffers.moved_fit)
            )
            # a retried target's row is written again when its step is accepted
            codes[rows], fitted[rows] = trial, fitted_trial
            tiny = r_sum <= TINY_STEP
            again = ~(tiny | (l_sum <= r_sum * step * (1 + LINE_SEARCH_SLACK)))
            stopped[pending[tiny]] = True
            lipschitz[pending[again]] = np.maximum(2 * step[again], l_sum[again] / r_sum[again])
            pending = pending[again]
        alpha_previous, alpha = alpha, (1 + np.sqrt(4 * alpha * alpha + 1)) / 2
        active &= ~stopped
        if not active.any():
            break
    return np.ascontiguousarray(codes.T)


@dataclass
class _StepBuffers:
    """Work arrays of one line-search trial: codes-shaped ``trial`` and ``scratch``,
    fit-shaped ``fitted`` and ``moved_fit``."""

    trial: np.ndarray
    scratch: np.ndarray
    fitted: np.ndarray
    moved_fit: np.ndarray

    @classmethod
    def make(cls, targets: int, atoms: int, features: int) -> _StepBuffers:
        """Buffers for ``targets`` rows of ``atoms`` codes and ``features`` fits."""
        shapes = [(targets, atoms)] * 2 + [(targets, features)] * 2
        return cls(*(np.empty(shape) for shape in shapes))


def _extrapolate(current: np.ndarray, previous: np.ndarray, beta: float, out: np.ndarray) -> None:
    """out = current + beta (current - previous)."""
    np.subtract(current, previous, out=out)
    out *= beta
    out += current


def bounded_basis(targets: np.ndarray, codes: np.ndarray, max_norm: float = 1.0) -> np.ndarray:
    """B (m x k) minimising ||Z - B S||^2 subject to ||b_j|| <= ``max_norm``, from the
    Lagrange dual over lambda >= 0: B = Z S^T (S S^T + diag lambda)^-1. Atoms that no
    code uses (all-zero rows of S) get zero columns, the limit the MATLAB solve reaches
    as their multipliers go to zero."""
    used = np.flatnonzero(np.any(codes != 0, axis=1))
    basis = np.zeros((targets.shape[0], codes.shape[0]))
    if used.size == 0:
        return basis
    s = codes[used]
    gram, cross = s @ s.T, targets @ s.T  # S S^T (k x k), Z S^T (m x k)
    bound = max_norm**2
    floor = MULTIPLIER_FLOOR * float(np.mean(np.diag(gram)))

    def negative_dual(multipliers: np.ndarray) -> tuple[float, np.ndarray]:
        factor = scipy.linalg.cho_factor(gram + np.diag(multipliers))
        solved = scipy.linalg.cho_solve(factor, cross.T).T  # Z S^T (S S^T + L)^-1
        value = np.sum(solved * cross) + bound * multipliers.sum()
        return value, bound - np.sum(solved * solved, axis=0)

    result = scipy.optimize.minimize(
        negative_dual,
        np.ones(used.size),
        jac=True,
        method="L-BFGS-B",
        bounds=[(floor, None)] * used.size,
        options={"ftol": 1e-12, "gtol": 1e-9, "maxiter": 1000},
    )
    basis[:, used] = scipy.linalg.solve(gram + np.diag(result.x), cross.T, assume_a="pos").T
    return basis
