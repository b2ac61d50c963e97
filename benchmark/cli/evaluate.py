"""The ``cmhbench eval`` command: score codes made elsewhere, or re-score a results
folder from its stored codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click
import numpy as np

from cmhbench.cli.options import int_list
from cmhbench.errors import CmhbenchError

EVAL_KEYS = ("query_codes", "retrieval_codes", "query_labels", "retrieval_labels")


@click.command("eval")
@click.argument("codes_file", type=click.Path(path_type=Path))
@click.option("--topk", default=None, help="Comma-separated K for mAP@K and precision@K.")
@click.option(
    "--zero-relevant", type=click.Choice(["count", "exclude"]), default="count", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print all metrics as JSON.")
@click.option(
    "--recompute",
    is_flag=True,
    help="CODES_FILE is a results folder: re-score every record from its stored codes.",
)
def eval_command(
    codes_file: Path, topk: str | None, zero_relevant: str, as_json: bool, recompute: bool
) -> None:
    """Score codes made elsewhere, or re-score a results folder (--recompute).

    CODES_FILE is an .npz, a MATLAB .mat (v5, v7 or v7.3) or an HDF5 file (.h5,
    .hdf5) with query_codes and retrieval_codes ({-1,+1} or {0,1}, one row per
    item), query_labels and retrieval_labels (multi-hot). With --recompute it is a
    results folder, whose records are re-scored from their codes under their own
    protocol with the current metric code, without retraining.
    """
    if recompute:
        _recompute(codes_file)
        return
    from cmhbench.metrics import DEFAULT_MAP_K, DEFAULT_TOPK, ZeroRelevantPolicy, evaluate_codes

    arrays = read_codes_file(codes_file)
    ks = tuple(int_list(topk, "--topk", 1, 10**9)) or None
    result = evaluate_codes(
        *(arrays[key] for key in EVAL_KEYS),
        map_k=ks or DEFAULT_MAP_K,
        topk=ks or DEFAULT_TOPK,
        zero_relevant=cast(ZeroRelevantPolicy, zero_relevant),  # a click.Choice of the two
    )
    data = result.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"queries {data['n_queries']}, retrieval set {data['n_retrieval']}, "
        f"queries without a relevant item {data['queries_without_relevant']} "
        f"({zero_relevant})"
    )
    click.echo(f"mAP@all            {data['map']:.4f}")
    click.echo(f"tie-aware mAP@all  {data['map_tie_aware']:.4f}")
    for k, value in data["map_at_k"].items():
        click.echo(f"mAP@{k:<14} {value:.4f}")
    for k, value in data["precision_at_k"].items():
        click.echo(f"precision@{k:<8} {value:.4f}")


def read_codes_file(path: Path) -> dict[str, np.ndarray]:
    """The :data:`EVAL_KEYS` arrays of an .npz, a MATLAB .mat (v7.3's column-major
    matrices transposed back to one row per item) or a row-major HDF5 file."""
    from cmhbench.arrays import read_arrays

    if not path.is_file():
        raise CmhbenchError(f"codes file not found: {path}")
    return read_arrays(path, EVAL_KEYS)


def _recompute(folder: Path) -> None:
    from cmhbench.store.rescore import rescore_folder

    report = rescore_folder(folder)
    for path, why in report.skipped:
        click.echo(f"skipped {path}: {why}", err=True)
    click.echo(
        f"re-scored {len(report.rescored)} record(s), skipped {len(report.skipped)}; "
        f"largest change of mAP@all {report.largest_map_change:.4g}"
    )
