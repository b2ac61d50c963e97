"""Texts to the field's bag-of-words vectors: a vocabulary chosen by document
frequency and one 0/1 entry per vocabulary word (the field's MIRFlickr-25K and
NUS-WIDE text features are binary tag vectors)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    """The distinct lower-case alphanumeric words of ``text``."""
    return set(WORD.findall(text.lower()))


def vocabulary(texts: Sequence[str], size: int, min_items: int = 1) -> list[str]:
    """The ``size`` words found in the most texts (at least ``min_items`` of them),
    ties broken alphabetically; in that order."""
    counts = Counter(word for text in texts for word in words(text))
    ranked = sorted(
        (word for word, n in counts.items() if n >= min_items), key=lambda w: (-counts[w], w)
    )
    return ranked[:size]


def bag_of_words(texts: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    """(len(texts), len(vocabulary)) float32, 1 where the text has the word."""
    column = {word: index for index, word in enumerate(vocabulary)}
    matrix = np.zeros((len(texts), len(vocabulary)), np.float32)
    for row, text in enumerate(texts):
        matrix[row, [column[w] for w in words(text) if w in column]] = 1.0
    return matrix
