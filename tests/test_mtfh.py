"""MTFH follows rndsolveUHV2.m (written out here as the file has it) and maps queries
into the database modality's code space."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import toy_views

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.methods.mtfh import MTFH, residual_norm

ALPHA, BETA = 0.5, 0.1


labelled_views = partial(
    toy_views.labelled_views, n=20, dx=6, dy=5, classes=3, seed=4, extra_label=0, signal=2.0
)


def sign(x):
    return np.where(x >= 0, 1.0, -1.0)


def ensemble(codes, column_update, q, rng):
    """The code's ``for test = 1:run ... for t = 1:times ... for i = 1:randperm(rnd)``."""
    runs = []
    for _ in range(3):
        for _ in range(10):
            previous = codes.copy()
            for i in range(rng.permutation(q)[0] + 1):
                codes[:, i] = column_update(codes, i)
            if np.linalg.norm(previous - codes) < 1e-6 * np.linalg.norm(previous):
                break
        runs.append(codes.copy())
    return sign(sum(runs))


def test_one_iteration_of_the_code_variant_is_rndsolveUHV2_m():
    data = labelled_views()
    q = 4
    method = MTFH(q, variant="code", max_iterations=1, anchors=8)
    method.fit(data, seed=5)
    s = data.labels.astype(np.float64) @ data.labels.T.astype(np.float64)
    rng = np.random.default_rng(5)  # the draws MTFH.fit makes, in its order
    u, u_ = sign(rng.standard_normal((2, len(data), q)))
    v_, v = sign(rng.standard_normal((2, len(data), q)))
    h1 = u_.T @ v @ np.linalg.inv(v.T @ v + 0.1 * np.eye(q))
    h2 = np.linalg.inv(u.T @ u + 0.1 * np.eye(q)) @ u.T @ v_
    drop = np.delete

    p1 = ALPHA / q * u_.T @ s.T + BETA * h2 @ v_.T
    u = ensemble(
        u,
        lambda a, i: sign(
            p1[i]
            - ALPHA / q**2 * u_[:, i] @ drop(u_, i, 1) @ drop(a, i, 1).T
            - BETA * h2[i] @ drop(h2, i, 0).T @ drop(a, i, 1).T
        ),
        q,
        rng,
    )
    p2 = ALPHA / q * u.T @ s + BETA * h1 @ v.T
    u_ = ensemble(
        u_,
        lambda b, i: sign(p2[i] - ALPHA / q**2 * u[:, i] @ drop(u, i, 1) @ drop(b, i, 1).T),
        q,
        rng,
    )
    p3 = (1 - ALPHA) / q * v_.T @ s + BETA * h1.T @ u_.T
    v = ensemble(
        v,
        lambda e, i: sign(
            p3[i]
            - (1 - ALPHA) / q**2 * v_[:, i] @ drop(v_, i, 1) @ drop(e, i, 1).T
            - BETA * h2[:, i] @ drop(h2, i, 1) @ drop(e, i, 1).T  # H_2, as the file has it
        ),
        q,
        rng,
    )
    assert np.array_equal(method.training_codes["image"], u)
    assert np.array_equal(method.training_codes["text"], v)
    assert np.allclose(method.correlations["to_image"], h1)
    assert np.allclose(method.correlations["to_text"], h2)


def test_queries_go_into_the_database_modality_s_code_space():
    data = labelled_views()
    method = MTFH(4, max_iterations=2, anchors=8)
    method.fit(data, seed=0)
    image, text = method.encode(data.image, "image"), method.encode(data.text, "text")
    to_text, to_image = method.correlations["to_text"], method.correlations["to_image"]
    assert np.array_equal(method.encode_query(data.image, "image"), sign(image @ to_text))
    assert np.array_equal(method.encode_query(data.text, "text"), sign(text @ to_image.T))


def test_without_labels_it_is_one_clear_error():
    data = labelled_views()
    with pytest.raises(CmhbenchError, match="supervised"):
        MTFH(4).fit(PairedSet(data.image, data.text))


def test_the_objective_s_residual_needs_no_n_by_n_matrix():
    rng = np.random.default_rng(0)
    labels = (rng.random((50, 4)) < 0.4).astype(np.float64)
    a, b = sign(rng.standard_normal((2, 50, 8)))
    direct = np.sum((labels @ labels.T - a @ b.T / 8) ** 2)
    assert np.isclose(residual_norm(labels, labels.T @ labels, a, b, 8), direct)
