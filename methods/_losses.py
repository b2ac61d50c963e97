"""Losses shared by several methods."""

from __future__ import annotations

from typing import Literal, cast

import torch
import torch.nn.functional as F

Reduction = Literal["sum", "mean", "violating", "hardest"]
#: UCCH Eq. 6's 1 / B^2: the triplet baseline's and UCCH's "L'_r only" ablation's.
MAX_MARGIN_REDUCTION: Reduction = "mean"


def max_margin_loss(
    hx: torch.Tensor, hy: torch.Tensor, margin: float, reduction: Reduction = MAX_MARGIN_REDUCTION
) -> torch.Tensor:
    """Bidirectional max-margin ranking loss over in-batch negatives (UCCH Eqs. 6-7).

    Args:
        hx, hy: (B, L) unit-norm outputs of the image and text networks; row i of
            each comes from the same pair.
        margin: the margin m.
        reduction: how the hinge costs c_ij = [m + M_ij - M_ii]_+ (j != i, both
            directions, M = H_x H_y^T) become one number:
            'sum': per query, the sum over negatives, averaged over the batch (the
            "sum of hinges" l_SH of VSE++, Faghri et al., BMVC 2018, Sec. 3.1);
            'mean': (1 / B^2) times the sum over all pairs, as written in UCCH Eq. 6;
            'violating': the mean over the strictly positive terms of each direction
            (the TripletLoss of UCCH's first code upload, penghu-cs/UCCH c4aa755);
            'hardest': the hardest negative per query (VSE++'s "max of hinges" l_MH).
    """
    sims = hx @ hy.T
    positives = sims.diag()
    off_diagonal = ~torch.eye(sims.shape[0], dtype=torch.bool, device=sims.device)
    cost_i2t = (margin + sims - positives[:, None]).clamp(min=0) * off_diagonal
    cost_t2i = (margin + sims - positives[None, :]).clamp(min=0) * off_diagonal
    if reduction == "sum":
        return cost_i2t.sum(1).mean() + cost_t2i.sum(0).mean()
    if reduction == "mean":
        return (cost_i2t.sum() + cost_t2i.sum()) / sims.numel()
    if reduction == "hardest":
        return cost_i2t.max(1).values.mean() + cost_t2i.max(0).values.mean()
    if reduction == "violating":
        return cast(
            torch.Tensor,
            sum(
                cost[cost > 0].mean() if (cost > 0).any() else cost.sum()
                for cost in (cost_i2t, cost_t2i)
            ),
        )
    raise ValueError(f"unknown reduction {reduction!r}")


def pairwise_likelihood(
    theta: torch.Tensor, similarity: torch.Tensor, kind: Literal["nll", "squared"] = "nll"
) -> torch.Tensor:
    """The negative log-likelihood of pairwise similarities S given inner products theta,
    p(S_ij = 1) = sigmoid(theta_ij) (DCMH Eq. 2, SSAH Sec. 3), summed, with
    log(1 + e^theta) computed stably: -sum(S theta - log(1 + e^theta)) (``"nll"``);
    ``"squared"``: SSAH's official code, sum((S theta - log(1 + e^theta))^2) / 2."""
    terms = similarity * theta - F.softplus(theta)
    return -terms.sum() if kind == "nll" else terms.pow(2).sum() / 2


def half_squared(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """||a - b||^2 / 2 (TensorFlow's ``l2_loss``, the code's ``mse_criterion``)."""
    return (a - b).pow(2).sum() / 2
