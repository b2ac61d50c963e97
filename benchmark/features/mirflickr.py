"""The raw MIRFlickr-25K distribution and the field's selection of 20,015 pairs.

The distribution (Huiskes and Lew, MIR 2008; press.liacs.nl/mirflickr) unpacks to::

    mirflickr/im<ID>.jpg                  25,000 images, ID 1..25000
    mirflickr/meta/tags/tags<ID>.txt      each image's Flickr tags, cleaned, one per line
    mirflickr/doc/common_tags.txt         "tag count" per line: the tags that occur at
                                          least 20 times in the collection (1,386)
    mirflickr25k_annotations_v080/*.txt   one file per concept, the IDs annotated with
                                          it; <concept>_r1.txt are the stricter
                                          "relevant" variants, README.txt the notes

The field's features (DCMH: Jiang and Li, CVPR 2017, Sec. 4.1, whose files UCCH and
DJSRH use) take:

* **vocabulary**: the tags that appear at least 20 times, i.e. ``common_tags.txt``
  (rows with count >= 20, in the file's order), 1,386 tags; a distribution without that
  file has its vocabulary counted from the tag files (tags in at least 20 of them,
  most frequent first, ties alphabetical), and the sidecar says so;
* **text**: a 0/1 vector per image, 1 where the image's tag file lists the tag;
* **labels**: the 24 concept files that are neither ``*_r1.txt`` nor the README, in
  alphabetical order (animals, baby, bird, ..., tree, water), as multi-hot rows;
* **selection**: the images with at least one vocabulary tag and at least one label,
  in ID order: "we remove pairs without textual tags or labels", which leaves 20,015.

These rules are checked here on hand-made layouts only: the distribution cannot be
downloaded on the machines this suite is built on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cmhbench.errors import CmhbenchError

MIN_TAG_COUNT = 20
COMMON_TAGS = Path("doc") / "common_tags.txt"
TAGS = Path("meta") / "tags"
ANNOTATION_FOLDERS = ("mirflickr25k_annotations_v080", "annotations")
IMAGE = re.compile(r"im(\d+)\.jpg")


@dataclass(frozen=True)
class MirflickrSelection:
    """The selected pairs in ID order, and what the selection left out."""

    ids: list[int]
    images: list[Path]
    text: np.ndarray  # (n, len(vocabulary)) float32 0/1
    labels: np.ndarray  # (n, len(label_names)) uint8 multi-hot
    vocabulary: list[str]
    vocabulary_rule: str
    label_names: list[str]
    total: int  # images in the distribution
    without_tags: list[int]  # IDs with no vocabulary tag
    without_labels: list[int]  # IDs with no label


def read_mirflickr(raw: Path) -> MirflickrSelection:
    """The field's pairs of the distribution unpacked under ``raw`` (the folder holding
    ``mirflickr/`` and the annotation folder, or ``mirflickr/`` itself).

    Raises:
        CmhbenchError: a missing part of the layout, named with where it was looked for.
    """
    images_dir = raw / "mirflickr" if (raw / "mirflickr").is_dir() else raw
    found = {int(m[1]): p for p in images_dir.glob("im*.jpg") if (m := IMAGE.fullmatch(p.name))}
    if not found:
        raise CmhbenchError(f"{images_dir}: no im<ID>.jpg images (expected MIRFlickr-25K's)")
    ids = sorted(found)
    tags_dir = images_dir / TAGS
    if not tags_dir.is_dir():
        raise CmhbenchError(f"{tags_dir}: not found (the per-image tag files tags<ID>.txt)")
    tags = {i: _tags(tags_dir / f"tags{i}.txt") for i in ids}
    vocabulary, rule = _vocabulary(images_dir / COMMON_TAGS, tags)
    label_names, members = _annotations(raw, images_dir)
    text = np.zeros((len(ids), len(vocabulary)), np.float32)
    column = {tag: j for j, tag in enumerate(vocabulary)}
    for row, i in enumerate(ids):
        text[row, [column[t] for t in tags[i] if t in column]] = 1.0
    labels = np.zeros((len(ids), len(label_names)), np.uint8)
    row_of = {i: row for row, i in enumerate(ids)}
    for j, name in enumerate(label_names):
        labels[[row_of[i] for i in members[name] if i in row_of], j] = 1
    has_tag, has_label = text.any(axis=1), labels.any(axis=1)
    keep = np.flatnonzero(has_tag & has_label)
    return MirflickrSelection(
        ids=[ids[r] for r in keep],
        images=[found[ids[r]] for r in keep],
        text=text[keep],
        labels=labels[keep],
        vocabulary=vocabulary,
        vocabulary_rule=rule,
        label_names=label_names,
        total=len(ids),
        without_tags=[ids[r] for r in np.flatnonzero(~has_tag)],
        without_labels=[ids[r] for r in np.flatnonzero(~has_label)],
    )


def _tags(path: Path) -> set[str]:
    """An image's tags (an image without a tag file has none)."""
    if not path.is_file():
        return set()
    return {line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()}


def _vocabulary(common: Path, tags: dict[int, set[str]]) -> tuple[list[str], str]:
    """(vocabulary, how it was chosen): ``common_tags.txt``, else counted from the tags."""
    if common.is_file():
        vocabulary = []
        for number, line in enumerate(common.read_text(errors="replace").splitlines(), 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or not fields[1].isdigit():
                raise CmhbenchError(f"{common}: line {number} is not 'tag count': {line!r}")
            if int(fields[1]) >= MIN_TAG_COUNT:
                vocabulary.append(fields[0])
        rule = f"{COMMON_TAGS} rows with count >= {MIN_TAG_COUNT}, in the file's order"
        return vocabulary, rule
    counts = Counter(tag for image_tags in tags.values() for tag in image_tags)
    vocabulary = sorted(
        (t for t, n in counts.items() if n >= MIN_TAG_COUNT), key=lambda t: (-counts[t], t)
    )
    rule = (
        f"no {COMMON_TAGS}: tags in at least {MIN_TAG_COUNT} of the {TAGS} files, most "
        "frequent first, ties alphabetical"
    )
    return vocabulary, rule


def _annotations(raw: Path, images_dir: Path) -> tuple[list[str], dict[str, set[int]]]:
    """(the concept names in alphabetical order, {name: annotated IDs})."""
    places = [base / name for base in (raw, images_dir) for name in ANNOTATION_FOLDERS]
    folder = next((place for place in places if place.is_dir()), None)
    if folder is None:
        looked = ", ".join(str(place) for place in dict.fromkeys(places))
        raise CmhbenchError(f"no MIRFlickr-25K annotation folder (looked for {looked})")
    files = sorted(
        path
        for path in folder.glob("*.txt")
        if not path.stem.endswith("_r1") and path.name.lower() != "readme.txt"
    )
    if not files:
        raise CmhbenchError(f"{folder}: no concept files (<concept>.txt, one image ID per line)")
    members = {}
    for path in files:
        try:
            members[path.stem] = {int(line) for line in path.read_text().split()}
        except ValueError:
            raise CmhbenchError(f"{path}: expected one image ID per line") from None
    return [path.stem for path in files], members
