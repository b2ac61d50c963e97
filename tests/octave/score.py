"""Score the codes a driver saved with the suite's metric, and compare them with the
suite's own seeds.

    python tests/octave/score.py PAIR CODES.mat...                 # mAP@all per file
    python tests/octave/score.py PAIR CODES.mat... --method fomh --settings order=given \\
        --protocol suite --bits 32 --seeds 20                      # and the suite's seeds

The second form prints both distributions and Welch's p per direction.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.io
from scipy import stats

from cmhbench.datasets import load_dataset
from cmhbench.metrics import evaluate_both_directions
from cmhbench.registry import get_method

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from uci_scores import uci_mfeat_maps

#: the suite's code sets and the names the drivers save them under (0/1 codes)
SAVED = {
    "image_query": "q_img",
    "text_query": "q_txt",
    "image_retrieval": "db_img",
    "text_retrieval": "db_txt",
}


def octave_maps(pair: str, files: list[Path]) -> np.ndarray:
    """(files x 2) mAP@all, image->text and text->image, of saved 0/1 codes."""
    image, text = pair.split("-")
    data = load_dataset(f"uci-mfeat:image={image}:text={text}")
    found = []
    for path in files:
        saved = scipy.io.loadmat(path)
        codes = {
            key: np.where(saved[name] > 0, 1, -1).astype(np.int8) for key, name in SAVED.items()
        }
        scores = evaluate_both_directions(
            codes, data.labels[data.query_idx], data.labels[data.retrieval_idx]
        )
        found.append([scores["i2t"].map, scores["t2i"].map])
    return np.array(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pair")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--method")
    parser.add_argument("--settings", nargs="*", default=[])
    parser.add_argument("--protocol", default="suite")
    parser.add_argument("--bits", type=int)
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    octave = octave_maps(args.pair, args.files)
    for path, row in zip(args.files, octave, strict=True):
        print(f"{path.name}: {row[0]:.4f} / {row[1]:.4f}")
    if not args.method:
        return
    settings = dict(item.split("=", 1) for item in args.settings)
    cls = get_method(args.method)
    suite = []
    for seed in range(args.seeds):
        method = cls(args.bits, **settings)
        maps = uci_mfeat_maps(method, seed, args.protocol, args.pair)
        suite.append([maps["i2t"], maps["t2i"]])
    both = np.array(suite)
    for j, direction in enumerate(("i2t", "t2i")):
        o, s = octave[:, j], both[:, j]
        p = stats.ttest_ind(o, s, equal_var=False).pvalue
        print(
            f"{direction}: authors' code {o.mean():.4f} (sd {o.std(ddof=1):.4f}, n {len(o)}), "
            f"suite {s.mean():.4f} (sd {s.std(ddof=1):.4f}, n {len(s)}), seeds 0-2 "
            f"{s[:3].mean():.4f}; Welch p {p:.2f}"
        )


if __name__ == "__main__":
    main()
