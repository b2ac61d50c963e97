"""``synthetic``: paired multi-label data from a documented generative model.

For item i (all randomness from one seed, so the data set is reproducible):

1. Labels: each of the C labels is on independently with probability
   ``label_density``; an item with no label gets one label drawn uniformly.
2. Shared latent factors: z_i = sum over the item's labels of a class prototype
   mu_c ~ N(0, I_k), divided by sqrt(#labels), plus ``latent_noise`` * N(0, I_k).
   Items that share labels therefore have correlated z.
3. Private factors: each modality also sees nuisance factors s^x_i, s^y_i ~ N(0, I_p)
   that the other modality does not share (``private_dim`` of them).
4. Modality maps, with different random weights and different non-linearities:
   image x_i = U_x tanh(V_x [z_i; s^x_i]) + noise * N(0, I),        dimension image_dim;
   text  y_i = relu(U_y softplus(V_y [z_i; s^y_i])) + noise * N(0, I), dimension text_dim
   (text features are non-negative, like bag-of-words counts).

Two options make the task harder or easier: ``latent_noise`` (default 0.5) blurs the
shared factors, so that feature similarity says less about labels; ``noise`` (0.3)
adds feature noise, e.g. ``synthetic:latent_noise=1.5``.

``scale=NAME`` gives a field data set's sizes without its files, for speed and memory
measurements at scale (``synthetic:scale=mirflickr25k``): its item count, feature
dimensions, label count and query count (:data:`SCALES`), the whole retrieval set as
the training set (the UCCH protocol) and 5,000 sampled retrieval pairs for supervised
methods, as on the field's data. The label density gives about three labels per item
(two of NUS-WIDE's ten), a rough match of those data sets, not a copy of their label
statistics. Sets of more than ``CHUNK_ROWS`` items are drawn that many rows at a time
and kept in float32 (NUS-WIDE's size is 3.8 GB of features).

Features are standardised per column on the retrieval part. Split: ``n_query``
random queries; the rest is the retrieval set; the training set is a seeded sample
of ``n_train`` retrieval items (``n_train=None`` trains on the whole retrieval set, the
unsupervised protocol of UCCH and DJSRH). The default sizes keep the default grid
(UCCH and triplet with their 8192-wide networks, 20 epochs, four code lengths) to
about ten minutes on two CPU cores while searching a 2,000-item retrieval set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from cmhbench.data import CrossModalData, random_split, standardise
from cmhbench.datasets.base import Dataset
from cmhbench.errors import CmhbenchError
from cmhbench.registry import register_dataset

CHUNK_ROWS = 16_384  # larger sets are drawn this many rows at a time
FIELD_SIZE = {"n_train": None, "image_dim": 4096}
SCALES: dict[str, dict[str, Any]] = {  # sizes as in the field's feature files
    "mirflickr25k": dict(n_items=20_015, n_query=2_000, text_dim=1_386, n_labels=24),
    "nus-wide-tc10": dict(n_items=186_577, n_query=2_100, text_dim=1_000, n_labels=10),
    "iapr-tc12": dict(n_items=20_000, n_query=2_000, text_dim=2_912, n_labels=255),
    "mscoco": dict(n_items=122_218, n_query=5_000, text_dim=300, n_labels=80),
}
LABELS_PER_ITEM = {"mirflickr25k": 3.0, "nus-wide-tc10": 2.0, "iapr-tc12": 3.0, "mscoco": 3.0}
Scale = Literal["mirflickr25k", "nus-wide-tc10", "iapr-tc12", "mscoco"]


@dataclass(frozen=True)
class SyntheticConfig:
    """Size, dimensions and difficulty of the synthetic data set."""

    n_items: int = 2400
    n_query: int = 400
    n_train: int | None = 512
    image_dim: int = 512
    text_dim: int = 300
    n_labels: int = 16
    label_density: float = 0.12
    latent_dim: int = 32
    private_dim: int = 16
    hidden_dim: int = 256
    latent_noise: float = 0.5
    noise: float = 0.3


def generate(config: SyntheticConfig, seed: int = 0) -> CrossModalData:
    """Draw the data set described in the module docstring."""
    c = config
    if not 0 < c.label_density <= 1:
        raise CmhbenchError(f"label_density must be in (0, 1], got {c.label_density}")
    rng = np.random.default_rng(seed)
    labels = (rng.random((c.n_items, c.n_labels)) < c.label_density).astype(np.uint8)
    empty = np.flatnonzero(labels.sum(1) == 0)
    labels[empty, rng.integers(0, c.n_labels, size=empty.size)] = 1

    prototypes = rng.standard_normal((c.n_labels, c.latent_dim))
    shared = labels @ prototypes / np.sqrt(labels.sum(1, keepdims=True))
    shared += c.latent_noise * rng.standard_normal(shared.shape)
    train, query, retrieval = random_split(
        c.n_items, n_query=c.n_query, n_train=c.n_train, seed=seed
    )

    def view(out_dim: int, inner: Callable, outer: Callable) -> np.ndarray:
        private = rng.standard_normal((c.n_items, c.private_dim))
        inputs = np.hstack([shared, private])
        v = rng.standard_normal((inputs.shape[1], c.hidden_dim)) / np.sqrt(inputs.shape[1])
        u = rng.standard_normal((c.hidden_dim, out_dim)) / np.sqrt(c.hidden_dim)

        def rows(part: slice) -> np.ndarray:
            features = outer(inner(inputs[part] @ v) @ u)
            return features + c.noise * rng.standard_normal(features.shape)

        if c.n_items <= CHUNK_ROWS:
            return standardise(rows(slice(None)), retrieval)
        return _standardised_in_chunks(rows, c.n_items, out_dim, retrieval)

    image = view(c.image_dim, np.tanh, lambda a: a)
    text = view(c.text_dim, lambda a: np.logaddexp(0.0, a), lambda a: np.maximum(a, 0.0))
    return CrossModalData(
        name="synthetic",
        image=image,
        text=text,
        labels=labels,
        train_idx=train,
        query_idx=query,
        retrieval_idx=retrieval,
        split={"protocol": "random queries; train sampled from retrieval", "seed": seed}
        | asdict(c),
    )


def _standardised_in_chunks(
    rows: Callable[[slice], np.ndarray], n: int, dim: int, retrieval: np.ndarray
) -> np.ndarray:
    """What :func:`standardise` gives, for a view drawn ``CHUNK_ROWS`` rows at a time
    (float64 per chunk, float32 in store): the retrieval rows' mean and standard
    deviation are combined across chunks (Chan et al.'s pairwise update)."""
    out = np.empty((n, dim), np.float32)
    in_retrieval = np.zeros(n, dtype=bool)
    in_retrieval[retrieval] = True
    count, mean, squares = 0, np.zeros(dim), np.zeros(dim)
    for start in range(0, n, CHUNK_ROWS):
        part = slice(start, min(n, start + CHUNK_ROWS))
        chunk = rows(part)
        out[part] = chunk
        kept = chunk[in_retrieval[part]]
        if kept.shape[0]:
            k, k_mean = kept.shape[0], kept.mean(0)
            delta = k_mean - mean
            squares += ((kept - k_mean) ** 2).sum(0) + delta**2 * count * k / (count + k)
            mean += delta * k / (count + k)
            count += k
    scale = np.sqrt(squares / count) + 1e-6
    for start in range(0, n, CHUNK_ROWS):
        part = slice(start, min(n, start + CHUNK_ROWS))
        out[part] = (out[part] - mean) / scale
    return out


@register_dataset("synthetic")
class SyntheticDataset(Dataset):
    """Paired multi-label data from a documented generative model (no files needed)."""

    short_name = "Synthetic"
    description = (
        "generated paired multi-label data, deterministic from its seed: 2,400 items, "
        "16 labels, 512-d image, 300-d text; 400 random queries, retrieval = the other "
        "2,000, 512 training pairs sampled from it"
    )
    standardised_on_retrieval = True

    def __init__(
        self,
        latent_noise: float | None = None,
        noise: float | None = None,
        scale: Scale | None = None,
    ):
        changes = {"latent_noise": latent_noise, "noise": noise}
        self.changes: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        self.scale = scale
        sizes: dict[str, Any] = {}
        if scale is not None:
            sizes = {**FIELD_SIZE, **SCALES[scale]}
            sizes["label_density"] = LABELS_PER_ITEM[scale] / sizes["n_labels"]
            self.supervised_train_size = 5000
        self.config = replace(SyntheticConfig(), **sizes, **self.changes)

    @property
    def name(self) -> str:
        """'synthetic' for the defaults, else a name that spells out the options
        (e.g. ``synthetic-latent_noise1.5``, ``synthetic-scale-mirflickr25k``), so that
        variants never share results."""
        parts = ["synthetic", *(f"{key}{value:g}" for key, value in self.changes.items())]
        return "-".join(parts + ([f"scale-{self.scale}"] if self.scale else []))

    def load(self, *, seed: int = 0) -> CrossModalData:
        return replace(generate(self.config, seed), name=self.name)
