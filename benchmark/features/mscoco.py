"""The raw MS-COCO 2014 release and UCCH's selection of 122,218 pairs.

The release (Lin et al., ECCV 2014; cocodataset.org) unpacks to::

    train2014/COCO_train2014_<id>.jpg, val2014/COCO_val2014_<id>.jpg   the images
    annotations/captions_{train,val}2014.json    five captions per image
    annotations/instances_{train,val}2014.json   object instances, 80 categories

UCCH's pairs are the train and val images with at least one object instance:
82,081 + 40,137 = 122,218, its stated size. The labels are the 80 categories, in the
order of their category IDs. UCCH's text is a 300-d Doc2Vec vector per image
(``MSCOCO_deep_doc2vec_data_rand.h5py``), from a model and training corpus it does not
publish, so it cannot be rebuilt; this layout gives each image a 0/1 bag of words of
its captions instead, over the words in the most images (``--vocabulary-size``), and
the sidecar says so. Items keep train-then-val order, by image ID within each.

These rules are checked here on hand-made layouts only: the release is not available
on the machines this suite is built on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cmhbench.errors import CmhbenchError

SPLITS = ("train2014", "val2014")


@dataclass(frozen=True)
class CocoSelection:
    """The selected pairs (train, then val, by image ID) and their arrays."""

    ids: list[int]
    images: list[Path]
    captions: list[str]  # an image's captions, joined
    labels: np.ndarray  # (n, 80) uint8 multi-hot
    label_names: list[str]
    total: int  # images in the caption files
    without_labels: int


def read_mscoco(raw: Path) -> CocoSelection:
    """The images of the release under ``raw`` that have an object instance.

    Raises:
        CmhbenchError: a missing or malformed annotation file, named.
    """
    ids: list[int] = []
    images: list[Path] = []
    captions: list[str] = []
    label_rows: list[list[int]] = []
    names: list[str] | None = None
    total = 0
    for split in SPLITS:
        caption_file = _json(raw / "annotations" / f"captions_{split}.json")
        instance_file = _json(raw / "annotations" / f"instances_{split}.json")
        categories = sorted(instance_file["categories"], key=lambda c: c["id"])
        if names is None:
            names = [c["name"] for c in categories]
        column = {c["id"]: j for j, c in enumerate(categories)}
        labelled: dict[int, set[int]] = {}
        for instance in instance_file["annotations"]:
            labelled.setdefault(instance["image_id"], set()).add(column[instance["category_id"]])
        texts: dict[int, list[str]] = {}
        for caption in caption_file["annotations"]:
            texts.setdefault(caption["image_id"], []).append(caption["caption"])
        files = {image["id"]: image["file_name"] for image in caption_file["images"]}
        total += len(files)
        for image_id in sorted(files):
            if image_id not in labelled:
                continue
            ids.append(image_id)
            images.append(raw / split / files[image_id])
            captions.append(" ".join(texts.get(image_id, [])))
            label_rows.append(sorted(labelled[image_id]))
    labels = np.zeros((len(ids), len(names or [])), np.uint8)
    for row, columns in enumerate(label_rows):
        labels[row, columns] = 1
    return CocoSelection(
        ids=ids,
        images=images,
        captions=captions,
        labels=labels,
        label_names=names or [],
        total=total,
        without_labels=total - len(ids),
    )


def _json(path: Path) -> dict:
    if not path.is_file():
        raise CmhbenchError(f"{path}: not found (MS-COCO 2014's annotation file)")
    try:
        content = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise CmhbenchError(f"{path}: not JSON ({error})") from None
    needed = ("images", "annotations", "categories") if "instances" in path.name else ("images",)
    missing = [key for key in (*needed, "annotations") if key not in content]
    if missing:
        raise CmhbenchError(f"{path}: no {', '.join(dict.fromkeys(missing))} (a COCO file?)")
    return content
