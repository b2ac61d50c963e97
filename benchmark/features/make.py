"""The generic layout to one ``.npz`` the suite reads, with a JSON sidecar saying how
it was made; the image features and provenance every layout shares (the field's
layouts are in :mod:`cmhbench.features.field`)."""

from __future__ import annotations

import hashlib
import io
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from cmhbench.atomic import atomic_write_bytes
from cmhbench.features.catalogue import get_backbone
from cmhbench.features.extract import Extraction, extract
from cmhbench.features.images import CROP, MEAN, RESIZE, STD
from cmhbench.features.layouts import read_generic
from cmhbench.features.texts import bag_of_words, vocabulary
from cmhbench.features.weights import load_backbone

PREPROCESSING = (
    f"RGB; shorter side resized to {RESIZE} (bilinear, PIL), centre crop {CROP}x{CROP}, "
    f"[0, 1] scaled, normalised with mean {list(MEAN)} and std {list(STD)}"
)


def make_generic(
    raw: Path,
    out: Path,
    *,
    backbone: str = "vgg19",
    weights: str | None = None,
    seed: int = 0,
    vocabulary_size: int = 1000,
    device: str = "cpu",
    batch_size: int = 32,
    workers: int = 1,
    progress: bool = True,
) -> Path:
    """Features of a data set in the generic layout (:mod:`cmhbench.features.layouts`)
    as ``OUT/<raw folder name>.npz`` (keys image, text, labels: the suite's own file
    format) beside ``<name>.json``; returns the .npz path. Items whose image cannot be
    decoded are left out of all three arrays."""
    items = read_generic(raw)
    found, image = image_features(
        items.images, raw, out / f".{raw.name}-chunks", backbone, weights, seed,
        device=device, batch_size=batch_size, workers=workers, progress=progress,
    )  # fmt: skip
    keep = found.readable
    texts = [items.texts[i] for i in keep]
    words = vocabulary(texts, vocabulary_size)
    buffer = io.BytesIO()
    text = bag_of_words(texts, words)
    np.savez(buffer, image=found.features, text=text, labels=items.labels[keep])
    path = out / f"{raw.name}.npz"
    atomic_write_bytes(path, buffer.getvalue())
    sidecar = {
        "layout": "generic",
        "raw": str(raw),
        "items": len(keep),
        "dropped": [
            {"position": int(i), "image": str(items.images[i].relative_to(raw))}
            for i in found.unreadable
        ],
        "image": image,
        "text": {
            "rule": f"binary bag of words over the {len(words)} words in most texts",
            "vocabulary": words,
        },
        "labels": items.label_names,
        "software": software_versions(),
    }
    atomic_write_bytes(path.with_suffix(".json"), json.dumps(sidecar, indent=1).encode())
    return path


def image_features(
    images: list[Path],
    raw: Path,
    chunks: Path,
    backbone: str = "vgg19",
    weights: str | None = None,
    seed: int = 0,
    **options: Any,
) -> tuple[Extraction, dict[str, Any]]:
    """The backbone's features of ``images`` (resumable in ``chunks``; ``options``:
    device, batch_size, workers, progress) and the sidecar's account of how they were
    made."""
    chosen = get_backbone(backbone)
    model, made = load_backbone(chosen, weights, seed)
    listing = "\n".join(str(path.relative_to(raw)) for path in images).encode()
    manifest = {"backbone": backbone, **made, "items_sha256": hashlib.sha256(listing).hexdigest()}
    found = extract(images, model, chunks, manifest, **options)
    made_by = {
        "backbone": backbone,
        "layer": chosen.layer,
        "dim": chosen.dim,
        **made,
        "preprocessing": PREPROCESSING,
    }
    return found, made_by


def software_versions() -> dict[str, Any]:
    return {package: version(package) for package in ("cmhbench", "torch", "numpy", "pillow")}
