"""Image features in chunks that survive a kill: batches decoded by DataLoader workers
while the network runs, each chunk of ``CHUNK`` images written atomically once done,
and a rerun into the same folder continuing after the last written chunk.

Images that cannot be decoded are listed (their positions in the input) rather than
stopping the extraction; the caller drops those items from every file it writes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from cmhbench.atomic import atomic_write_bytes
from cmhbench.errors import CmhbenchError
from cmhbench.features.images import read_image

CHUNK = 512  # images per chunk file
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Extraction:
    """The features of the readable images, in input order, and the input positions of
    the unreadable ones."""

    features: np.ndarray  # (n - len(unreadable), dim) float32
    unreadable: list[int]

    @property
    def readable(self) -> np.ndarray:
        """The input positions of the readable images: row i of ``features`` is the
        image at ``readable[i]``."""
        count = len(self.features) + len(self.unreadable)
        return np.setdiff1d(np.arange(count), self.unreadable)


class _Images(Dataset):
    """(position, preprocessed image or None when it cannot be decoded)."""

    def __init__(self, paths: Sequence[Path]):
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, position: int) -> tuple[int, torch.Tensor | None]:
        try:
            return position, read_image(self.paths[position])
        except (OSError, ValueError, Image.DecompressionBombError):
            return position, None  # PIL's UnidentifiedImageError is an OSError


def _collate(items: list[tuple[int, torch.Tensor | None]]) -> tuple[list[int], torch.Tensor | None]:
    """(unreadable positions, the readable images stacked, or None)."""
    images = [image for _, image in items if image is not None]
    failed = [position for position, image in items if image is None]
    return failed, torch.stack(images) if images else None


def _batches(chunks: list[int], count: int, batch_size: int) -> Iterator[list[int]]:
    """Positions of ``chunks``' images in batches that never cross a chunk's end."""
    for chunk in chunks:
        stop = min((chunk + 1) * CHUNK, count)
        for start in range(chunk * CHUNK, stop, batch_size):
            yield list(range(start, min(start + batch_size, stop)))


def _chunk_file(folder: Path, chunk: int) -> Path:
    return folder / f"chunk-{chunk:06d}.npz"


def _start(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` in a new folder, or check that the folder's is the same."""
    path = folder / MANIFEST
    if path.is_file():
        found = json.loads(path.read_text(encoding="utf-8"))
        if found != manifest:
            changed = sorted(
                key for key in manifest.keys() | found.keys() if found.get(key) != manifest.get(key)
            )
            raise CmhbenchError(
                f"{folder} holds chunks of another extraction (differs in {', '.join(changed)}); "
                "delete it or write elsewhere"
            )
        return
    atomic_write_bytes(path, json.dumps(manifest, indent=1, sort_keys=True).encode())


def extract(
    paths: Sequence[Path],
    model: torch.nn.Module,
    folder: Path,
    manifest: dict[str, Any],
    *,
    batch_size: int = 32,
    device: str = "cpu",
    workers: int = 1,
    progress: bool = True,
) -> Extraction:
    """Run ``model`` over the images at ``paths``, keeping chunks in ``folder``.

    ``manifest`` says what is being extracted (backbone, weights, inputs); chunks are
    reused only under the same manifest. ``workers`` DataLoader processes decode and
    resize while the network runs (0: in this process).
    """
    folder.mkdir(parents=True, exist_ok=True)
    _start(folder, {**manifest, "images": len(paths), "chunk": CHUNK})
    chunks = -(-len(paths) // CHUNK)
    pending = [chunk for chunk in range(chunks) if not _chunk_file(folder, chunk).is_file()]
    loader = DataLoader(
        _Images(paths),
        batch_sampler=list(_batches(pending, len(paths), batch_size)),
        num_workers=workers,
        collate_fn=_collate,
    )
    model = model.to(device).eval()
    done = len(paths) - sum(min(CHUNK, len(paths) - chunk * CHUNK) for chunk in pending)
    bar = tqdm(total=len(paths), initial=done, unit="image", disable=None if progress else True)
    rows: list[np.ndarray] = []
    failed: list[int] = []
    seen = 0
    with torch.inference_mode():
        for batch_failed, images in loader:
            failed += batch_failed
            if images is not None:
                rows.append(model(images.to(device)).float().cpu().numpy())
            seen += len(batch_failed) + (0 if images is None else len(images))
            bar.update(len(batch_failed) + (0 if images is None else len(images)))
            chunk = pending[0]
            if seen == min(CHUNK, len(paths) - chunk * CHUNK):
                _write_chunk(_chunk_file(folder, chunk), rows, failed)
                pending.pop(0)
                rows, failed, seen = [], [], 0
    bar.close()
    return _assemble(folder, chunks)


def _write_chunk(path: Path, rows: list[np.ndarray], failed: list[int]) -> None:
    buffer = io.BytesIO()
    features = np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)
    np.savez(buffer, features=features, unreadable=np.array(failed, dtype=np.int64))
    atomic_write_bytes(path, buffer.getvalue())


def _assemble(folder: Path, chunks: int) -> Extraction:
    parts, unreadable = [], []
    for chunk in range(chunks):
        with np.load(_chunk_file(folder, chunk)) as stored:
            if stored["features"].size:
                parts.append(stored["features"])
            unreadable += stored["unreadable"].tolist()
    if not parts:
        raise CmhbenchError(f"none of the {len(unreadable)} images could be decoded")
    return Extraction(features=np.concatenate(parts), unreadable=unreadable)
