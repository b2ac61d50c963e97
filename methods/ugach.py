"""UGACH: Unsupervised Generative Adversarial Cross-modal Hashing (unsupervised, deep).

J. Zhang, Y. Peng, M. Yuan, "Unsupervised Generative Adversarial Cross-Modal Hashing",
AAAI 2018, pp. 539-546. Code: PKU-ICST-MIPL/UGACH_AAAI2018 (``KNN/knn_mir_cross5.py``,
``unsuper-pretrain-mir-D-beta/train_*.py``, ``UGACH-mir/train_*.py``,
``dis_model_nn.py``, ``gen_model_nn.py``, ``utils.py``).

Networks: a generator G and a discriminator D of the same form, per modality
f(v) = sigmoid(W_2 tanh(W_1 v + b_1) + b_2) with 8,192 hidden units, weights from a
normal of std 0.1 truncated at two standard deviations, zero biases. A pair's distance
is d(x, y) = ||f_I(x) - f_T(y)||^2, and a bit is 1 where f >= 0.5 (here: +1 where the
pre-sigmoid output is >= 0).

Correlation graph (``knn_mir_cross5.py``): each training pair's neighbours are its 5
nearest pairs by image Euclidean distance and its 5 nearest by text distance (itself
among both); "positives" are these neighbours, each once.

1. Pre-training D (``unsuper-pretrain-mir-D-beta``, whose ``utils.make_train_dict``
   knows no graph): per query and direction one triplet, the positive the query's own
   pair and the negative any other training item (neighbours included), drawn and
   shuffled for each direction separately, once (the code draws again every 1,000
   passes); the hinge loss mean[beta + d(q, p) - d(q, n)]_+ with beta = L / 8 plus
   0.01 sum 1/2 ||theta||^2 of all eight weight tensors, plain SGD, lr 0.01, batch 20;
   image->text, then text->image, per pass.
2. Adversarial training, 30 rounds of
   - D: for every query in both directions, a random 1/50 of the training items as
     candidates, G's distribution p_G(c | q) = softmax(-d_G(q, c)) over them, 2
     negatives drawn from it rejecting the query's neighbours, 2 random neighbours as
     positives; D trained on these triplets with its hinge loss (SGD, lr 1e-3);
   - G, 2 passes: per query 2 candidates drawn from p_G (no rejection), rewards
     r = sigmoid([beta + d_D(q, p) - d_D(q, c)]_+) from D, and the loss
     -mean(r log p~_G) plus the same weight decay, where p~_G is a softmax over the
     2 drawn candidates only, as in the code (SGD, lr 1e-2).
   Codes come from D.

Deviations:

- Steps: the code trains the adversarial stage one triplet (D) or one query (G) per
  SGD step. Here one step takes ``batch_size`` (32) of them and moves as far as their
  32 steps would to first order: the batch's losses are summed, not averaged, and the
  weight decay is 32 times the code's, so a round makes the code's movement in 1/32 of
  the steps (``batch_size=1`` is the code's own stepping). Measured on uci-mfeat
  (``python -m cmhbench.perf ugach-steps --bits B``: one image->text pass from one
  state and the same draws, 2 CPU threads): against the code's stepping, the weights
  move as far (norm ratio 0.998-1.004) in nearly the same direction (cosine 0.975 D,
  0.983 G at 16 bits; 0.895 and 0.880 at 128 bits), 12-32 times faster; version 1's
  averaged batches moved D 3-4% as far. Trained to the end (16 bits, seed 0), the
  code's stepping gives mAP@all 0.670 / 0.673 (image->text / text->image) in 2,308 s
  on one CPU thread, this stepping 0.661 / 0.674 in 125 s on two (version 1:
  0.599 / 0.595).
- Model selection: the code keeps the D (and G) with the best mAP on the labelled test
  split after each round and pre-trains for up to 30 x 1,000 passes the same way; no
  labels reach an unsupervised method here, so D is the last round's, and
  pre-training runs ``pretrain_epochs`` (30) passes.
- The code's optimisers decay their learning rates by 0.9 every 20,000 steps of a
  global step that is never incremented, so the rates stay constant; here too.
- Candidates: at least ``neighbours + samples`` per query (the code's n / 50 leaves
  none on small sets, and a query whose candidates were all neighbours would loop
  forever); drawing with rejection is drawing from p_G restricted to non-neighbours.
- G's sampling distribution in its passes comes from G's outputs for all training
  items computed at the start of each pass (the code recomputes the candidates'
  scores with the current G for every query, 1/50 of the training set through the
  network per step); the drawn candidates' probabilities in the loss use the current
  G.
- The code's D pass starts at its second triplet; this one uses them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from cmhbench.data import PairedSet
from cmhbench.errors import CmhbenchError
from cmhbench.method import MethodInfo, hyperparameter
from cmhbench.methods._nets import start_training
from cmhbench.registry import register_method
from cmhbench.training import TorchMethod, check_finite, epoch_bar

CODE = "UGACH official code (PKU-ICST-MIPL/UGACH_AAAI2018)"
TRAIN = f"{CODE}, UGACH-mir/train_*.py"
PRETRAIN = f"{CODE}, unsuper-pretrain-mir-D-beta/train_*.py"
DISTANCE_ROWS = 2048  # rows of the n x n distance matrix computed at a time


@dataclass(frozen=True)
class UGACHParams:
    """UGACH's hyper-parameters (see the module docstring for sources)."""

    hidden: int = hyperparameter(8192, f"{TRAIN}: HIDDEN_DIM")
    neighbours: int = hyperparameter(10, f"{CODE}, KNN/knn_mir_cross5.py: K (5 + 5)")
    candidate_ratio: int = hyperparameter(50, f"{TRAIN}: SAMPLERATIO")
    samples: int = hyperparameter(2, f"{TRAIN}: SELECTNUM")
    epochs: int = hyperparameter(30, f"{TRAIN}: WHOLE_EPOCH")
    generator_epochs: int = hyperparameter(2, f"{TRAIN}: G_EPOCH")
    pretrain_epochs: int = hyperparameter(30, "this suite (the code selects on test labels)")
    pretrain_batch_size: int = hyperparameter(20, f"{PRETRAIN}: BATCH_SIZE")
    pretrain_lr: float = hyperparameter(0.01, f"{PRETRAIN}: D_LEARNING_RATE")
    batch_size: int = hyperparameter(
        32, "this suite: the code's one-sample steps, 32 per batched step"
    )
    discriminator_lr: float = hyperparameter(1e-3, f"{TRAIN}: D_LEARNING_RATE")
    generator_lr: float = hyperparameter(1e-2, f"{TRAIN}: G_LEARNING_RATE")
    weight_decay: float = hyperparameter(0.01, f"{TRAIN}: WEIGHT_DECAY")
    margin_per_bit: float = hyperparameter(1 / 8, f"{TRAIN}: BETA = OUTPUT_DIM / 8")
    init_std: float = hyperparameter(0.1, f"{CODE}, dis_model_nn.py: truncated normal")


class PairNets(nn.Module):
    """One UGACH network: f_I and f_T, returning pre-sigmoid outputs."""

    def __init__(self, image_dim: int, text_dim: int, hidden: int, bits: int, std: float):
        super().__init__()
        self.image = nn.Sequential(nn.Linear(image_dim, hidden), nn.Tanh(), nn.Linear(hidden, bits))
        self.text = nn.Sequential(nn.Linear(text_dim, hidden), nn.Tanh(), nn.Linear(hidden, bits))
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                nn.init.trunc_normal_(layer.weight, std=std, a=-2 * std, b=2 * std)
                nn.init.zeros_(layer.bias)

    def embed(self, features: torch.Tensor, modality: str) -> torch.Tensor:
        """sigmoid(f_modality(features))."""
        return torch.sigmoid(getattr(self, modality)(features))


def squared_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise ||a - b||^2."""
    return (a - b).pow(2).sum(-1)


def cross_neighbours(image: torch.Tensor, text: torch.Tensor, count: int) -> torch.Tensor:
    """Each item's ``count // 2`` nearest items by image distance, then its ``count // 2``
    nearest by text distance (itself included): ``knn_mir_cross5.py``'s KNN_cross."""
    half = count // 2
    rows = []
    for start in range(0, len(image), DISTANCE_ROWS):
        block = slice(start, start + DISTANCE_ROWS)
        nearest = [
            torch.cdist(view[block], view).topk(half, dim=1, largest=False).indices
            for view in (image, text)
        ]
        rows.append(torch.cat(nearest, dim=1))
    return torch.cat(rows)


def distinct_neighbours(neighbours: torch.Tensor) -> torch.Tensor:
    """True where a neighbour entry is not a repeat of an earlier one in its row."""
    repeats = (neighbours[:, :, None] == neighbours[:, None, :]).tril(diagonal=-1).any(-1)
    return ~repeats


def is_neighbour(neighbours: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """For rows of ``items`` (q x c), whether each item is among the query's neighbours."""
    return (items[:, :, None] == neighbours[:, None, :]).any(-1)


class UGACHTraining:
    """One UGACH fit: the training pairs on the device, their correlation graph, both
    networks, and the steps of the two stages (``unsuper-pretrain``, ``UGACH-mir``)."""

    def __init__(
        self,
        params: UGACHParams,
        bits: int,
        tensors: dict[str, torch.Tensor],
        rng: torch.Generator,
        discriminator: PairNets,
        generator: PairNets,
    ):
        self.params, self.tensors, self.rng = params, tensors, rng
        self.discriminator, self.generator = discriminator, generator
        self.margin = params.margin_per_bit * bits
        self.device = tensors["image"].device
        with torch.no_grad():
            self.neighbours = cross_neighbours(tensors["image"], tensors["text"], params.neighbours)
        self.distinct = distinct_neighbours(self.neighbours)
        # at most n, as UGACH.fit checks n >= neighbours + samples
        n = len(self.neighbours)
        self.candidates = max(n // params.candidate_ratio, params.neighbours + params.samples)
        self.d_optimizer = self.sgd(discriminator, params.discriminator_lr)
        self.g_optimizer = self.sgd(generator, params.generator_lr)

    def sgd(self, nets: PairNets, lr: float) -> torch.optim.Optimizer:
        """Plain SGD whose weight decay is the gradient of wd * sum 1/2 ||theta||^2."""
        return torch.optim.SGD(nets.parameters(), lr=lr, weight_decay=self.params.weight_decay)

    def step(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, code_steps: int) -> None:
        """One SGD step on ``loss`` standing for ``code_steps`` of the code's steps: the
        caller sums their losses, and the weight decay is applied ``code_steps`` times."""
        for group in optimizer.param_groups:
            group["weight_decay"] = self.params.weight_decay * code_steps
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def random_neighbours(self, queries: torch.Tensor, count: int) -> torch.Tensor:
        """``count`` distinct random neighbours of each query (the code shuffles the
        query's neighbour list and takes its head)."""
        keys = torch.rand(len(queries), self.neighbours.shape[1], generator=self.rng)
        keys = keys.to(self.device).masked_fill(~self.distinct[queries], -1.0)
        return self.neighbours[queries].gather(1, keys.topk(count, dim=1).indices)

    def random_candidates(self, count: int) -> torch.Tensor:
        """Per query, ``self.candidates`` distinct random training items (q x c)."""
        n = len(self.neighbours)
        keys = torch.rand(count, n, generator=self.rng).to(self.device)
        return keys.topk(self.candidates, dim=1).indices

    def pretraining_triplets(self) -> torch.Tensor:
        """``unsuper-pretrain``'s ``generate_samples``: per query its own pair as the
        positive and a uniformly drawn other item as the negative, in a random order."""
        n = len(self.neighbours)
        queries = torch.arange(n)
        others = torch.randint(n - 1, (n,), generator=self.rng)
        negatives = others + (others >= queries).long()  # skips the query itself
        order = torch.randperm(n, generator=self.rng)
        return torch.stack([queries, queries, negatives], 1)[order].to(self.device)

    def pretrain(self) -> None:
        """Stage 1: D on own-pair triplets, drawn for each direction separately; the
        code's batches of 20, one step each."""
        p = self.params
        triplets = {d: self.pretraining_triplets() for d in ("i2t", "t2i")}
        optimizer = self.sgd(self.discriminator, p.pretrain_lr)
        for epoch in range(p.pretrain_epochs):
            for direction in ("i2t", "t2i"):
                self.train_discriminator(
                    triplets[direction], direction, optimizer, p.pretrain_batch_size, epoch
                )

    def adversarial_round(self, epoch: int) -> float:
        """Stage 2, one round: D on G's triplets, then G's passes; D's mean hinge loss."""
        p = self.params
        triplets = {d: self.adversarial_triplets(d) for d in ("i2t", "t2i")}
        losses = [
            self.train_discriminator(
                triplets[d], d, self.d_optimizer, p.batch_size, epoch, per_sample=True
            )
            for d in ("i2t", "t2i")
        ]
        for _ in range(p.generator_epochs):
            for direction in ("i2t", "t2i"):
                self.train_generator(direction, epoch)
        return sum(losses) / len(losses)

    @staticmethod
    def views(direction: str) -> tuple[str, str]:
        return ("image", "text") if direction == "i2t" else ("text", "image")

    def hinge(self, nets: PairNets, triplets: torch.Tensor, direction: str) -> torch.Tensor:
        """[beta + d(q, p) - d(q, n)]_+ per triplet (query, positive, negative)."""
        query_view, item_view = self.views(direction)
        query = nets.embed(self.tensors[query_view][triplets[:, 0]], query_view)
        positive = nets.embed(self.tensors[item_view][triplets[:, 1]], item_view)
        negative = nets.embed(self.tensors[item_view][triplets[:, 2]], item_view)
        gap = self.margin + squared_distance(query, positive) - squared_distance(query, negative)
        return gap.clamp(min=0)

    def train_discriminator(
        self,
        triplets: torch.Tensor,
        direction: str,
        optimizer: torch.optim.Optimizer,
        batch_size: int,
        epoch: int,
        *,
        per_sample: bool = False,
    ) -> float:
        """One pass of D over ``triplets`` in order; returns the mean hinge loss. A step
        is one of the code's batches, or with ``per_sample`` as many of its one-triplet
        steps as the batch holds (see ``step``)."""
        self.discriminator.train()
        total, steps = 0.0, 0
        for start in range(0, len(triplets), batch_size):
            hinge = self.hinge(self.discriminator, triplets[start : start + batch_size], direction)
            total += check_finite(hinge.mean(), epoch, steps)
            if per_sample:
                self.step(optimizer, hinge.sum(), len(hinge))
            else:
                self.step(optimizer, hinge.mean(), 1)
            steps += 1
        return total / steps

    @torch.no_grad()
    def generator_embeddings(self) -> dict[str, torch.Tensor]:
        """G's sigmoid outputs for every training item, both modalities."""
        self.generator.eval()
        return {
            modality: torch.cat(
                [
                    self.generator.embed(chunk, modality)
                    for chunk in self.tensors[modality].split(DISTANCE_ROWS)
                ]
            )
            for modality in ("image", "text")
        }

    def generator_scores(
        self,
        embedded: dict[str, torch.Tensor],
        queries: torch.Tensor,
        candidates: torch.Tensor,
        direction: str,
    ) -> torch.Tensor:
        """-d_G(q, c) for every query's candidates (q x c)."""
        query_view, item_view = self.views(direction)
        query = embedded[query_view][queries]
        return -squared_distance(query[:, None, :], embedded[item_view][candidates])

    def draw(self, scores: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """``samples`` candidates per row drawn from softmax(scores), with replacement."""
        probabilities = torch.softmax(scores, dim=1)
        picks = torch.multinomial(
            probabilities.cpu(), self.params.samples, replacement=True, generator=self.rng
        ).to(self.device)
        return candidates.gather(1, picks)

    def adversarial_triplets(self, direction: str) -> torch.Tensor:
        """``generate_samples``: per query, 2 (positive, G-drawn negative) triplets."""
        n, samples = len(self.neighbours), self.params.samples
        embedded = self.generator_embeddings()
        rows = []
        for start in range(0, n, DISTANCE_ROWS):
            queries = torch.arange(start, min(start + DISTANCE_ROWS, n), device=self.device)
            candidates = self.random_candidates(len(queries))
            scores = self.generator_scores(embedded, queries, candidates, direction)
            scores = scores.masked_fill(
                is_neighbour(self.neighbours[queries], candidates), -torch.inf
            )
            negatives = self.draw(scores, candidates)
            positives = self.random_neighbours(queries, samples)
            rows.append(
                torch.stack([queries[:, None].expand(-1, samples), positives, negatives], -1)
            )
        triplets = torch.cat(rows).reshape(-1, 3)
        return triplets[torch.randperm(len(triplets), generator=self.rng).to(self.device)]

    def generator_samples(self, direction: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``train_generator``'s draws for every query in order (each n x ``samples``):
        candidates drawn from p_G without rejection, and random neighbours."""
        n, samples = len(self.neighbours), self.params.samples
        embedded = self.generator_embeddings()
        drawn, positives = [], []
        for start in range(0, n, DISTANCE_ROWS):
            queries = torch.arange(start, min(start + DISTANCE_ROWS, n), device=self.device)
            candidates = self.random_candidates(len(queries))
            scores = self.generator_scores(embedded, queries, candidates, direction)
            drawn.append(self.draw(scores, candidates))
            positives.append(self.random_neighbours(queries, samples))
        return torch.cat(drawn), torch.cat(positives)

    def train_generator(self, direction: str, epoch: int) -> None:
        """``train_generator``: one pass of G's policy-gradient steps over the queries."""
        drawn, positives = self.generator_samples(direction)
        self.generator_pass(drawn, positives, direction, self.params.batch_size, epoch)

    def generator_pass(
        self,
        drawn: torch.Tensor,
        positives: torch.Tensor,
        direction: str,
        batch_size: int,
        epoch: int,
    ) -> None:
        """The code's one-query steps on the given draws, queries in order,
        ``batch_size`` of them per step (see ``step``)."""
        query_view, item_view = self.views(direction)
        for step, start in enumerate(range(0, len(drawn), batch_size)):
            queries = torch.arange(start, min(start + batch_size, len(drawn)), device=self.device)
            triplets = torch.stack(
                [queries[:, None].expand(-1, drawn.shape[1]), positives[queries], drawn[queries]],
                -1,
            )
            with torch.no_grad():
                self.discriminator.eval()
                reward = torch.sigmoid(
                    self.hinge(self.discriminator, triplets.view(-1, 3), direction)
                )
            self.generator.train()
            query = self.generator.embed(self.tensors[query_view][queries], query_view)
            items = self.generator.embed(self.tensors[item_view][triplets[..., 2]], item_view)
            scores = -squared_distance(query[:, None, :], items)
            log_probability = torch.log(torch.softmax(scores, dim=1) + 1e-20)
            per_query = -(log_probability * reward.view_as(log_probability)).mean(dim=1)
            check_finite(per_query.mean(), epoch, step)
            self.step(self.g_optimizer, per_query.sum(), len(per_query))


@register_method("ugach")
class UGACH(TorchMethod):
    """A generator picks hard pairs from a kNN correlation graph; the discriminator's
    codes are the hash functions."""

    info = MethodInfo(
        title="Unsupervised Generative Adversarial Cross-Modal Hashing",
        authors="J. Zhang, Y. Peng, M. Yuan",
        venue="AAAI 2018",
        code="https://github.com/PKU-ICST-MIPL/UGACH_AAAI2018",
        supervised=False,
        short_name="UGACH",
        version=2,  # 2: own-pair pre-training triplets per direction; the code's step count
    )
    Params = UGACHParams
    quick_settings: ClassVar[dict[str, Any]] = {
        "hidden": 256,
        "epochs": 4,
        "pretrain_epochs": 10,
    }

    def fit(
        self, data: PairedSet, *, device: str = "cpu", seed: int = 0, progress: bool = False
    ) -> None:
        p = self.params
        rng, tensors = start_training(self, data, device, seed)
        n, dims = len(data), (data.image.shape[1], data.text.shape[1])
        if n < p.neighbours + p.samples:
            raise CmhbenchError(
                f"ugach needs at least neighbours + samples = {p.neighbours + p.samples} "
                f"training pairs; got {n}"
            )
        self.discriminator = PairNets(*dims, p.hidden, self.bits, p.init_std).to(self.device)
        generator = PairNets(*dims, p.hidden, self.bits, p.init_std).to(self.device)
        self.networks = {"image": self.discriminator.image, "text": self.discriminator.text}
        training = UGACHTraining(p, self.bits, tensors, rng, self.discriminator, generator)
        training.pretrain()
        self.history = []
        bar = epoch_bar(p.epochs, f"ugach {self.bits} bits", progress)
        for epoch in bar:
            self.history.append(training.adversarial_round(epoch))
            bar.set_postfix(loss=f"{self.history[-1]:.4f}")
        self.discriminator.eval()
