"""The ``cmhbench eval`` command: score codes made elsewhere or a cell's stored codes
(under either retrieval protocol), or re-score a results folder from its stored codes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import numpy as np

from cmhbench.cli.options import PROTOCOL, int_list
from cmhbench.errors import CmhbenchError

if TYPE_CHECKING:
    from cmhbench.metrics import ZeroRelevantPolicy
    from cmhbench.protocols import Protocol
    from cmhbench.store.rescore import MetricOptions

EVAL_KEYS = ("query_codes", "retrieval_codes", "query_labels", "retrieval_labels")
DIRECTION_NAMES = {"i2t": "image -> text", "t2i": "text -> image"}


@click.command("eval")
@click.argument("codes_file", type=click.Path(path_type=Path))
@click.option(
    "--topk", default=None, help="Comma-separated K of precision@K (and of mAP@K without --map-k)."
)
@click.option("--map-k", default=None, help="Comma-separated K of mAP@K.")
@click.option(
    "--zero-relevant",
    type=click.Choice(["count", "exclude"]),
    default=None,
    help="Queries with no relevant item: AP 0 (count, the default), or left out.",
)
@PROTOCOL
@click.option("--json", "as_json", is_flag=True, help="Print all metrics as JSON.")
@click.option(
    "--recompute",
    is_flag=True,
    help="CODES_FILE is a results folder: re-score every record from its stored codes.",
)
def eval_command(
    codes_file: Path,
    topk: str | None,
    map_k: str | None,
    zero_relevant: str | None,
    protocol: Protocol,
    as_json: bool,
    recompute: bool,
) -> None:
    """Score codes made elsewhere, or a cell's stored codes, or re-score a results
    folder (--recompute).

    CODES_FILE is an .npz, a MATLAB .mat (v5, v7 or v7.3) or an HDF5 file (.h5,
    .hdf5) with query_codes and retrieval_codes ({-1,+1} or {0,1}, one row per
    item), query_labels and retrieval_labels (multi-hot); or a cell's codes file in
    a results folder (bits<L>-seed<S>.npz), scored in both directions under
    --protocol. With --recompute it is a results folder, whose records are
    re-scored from their codes (both protocols' where they have both) with the
    current metric code, under the metric options given here, and under each
    record's own for those not given; nothing trains.
    """
    top_ks = tuple(int_list(topk, "--topk", 1, 10**9)) or None
    map_ks = tuple(int_list(map_k, "--map-k", 1, 10**9)) or top_ks
    policy = cast("ZeroRelevantPolicy | None", zero_relevant)  # a click.Choice of the two
    if recompute:
        from cmhbench.store.rescore import MetricOptions

        _recompute(codes_file, MetricOptions(policy, map_ks, top_ks))
        return
    from cmhbench.metrics import (
        DEFAULT_MAP_K,
        DEFAULT_TOPK,
        evaluate_both_directions,
        evaluate_codes,
    )

    map_ks, top_ks, policy = map_ks or DEFAULT_MAP_K, top_ks or DEFAULT_TOPK, policy or "count"
    cell = _cell_codes(codes_file, protocol)
    if cell is None:
        if protocol == "native":
            raise CmhbenchError(
                "--protocol native scores a results folder's cell codes file "
                f"(bits<L>-seed<S>.npz); {codes_file} holds one set of codes"
            )
        arrays = read_codes_file(codes_file)
        result = evaluate_codes(
            *(arrays[key] for key in EVAL_KEYS), map_k=map_ks, topk=top_ks, zero_relevant=policy
        )
        results = {"": result.to_dict()}
    else:
        scores = evaluate_both_directions(*cell, map_k=map_ks, topk=top_ks, zero_relevant=policy)
        results = {direction: result.to_dict() for direction, result in scores.items()}
    if as_json:
        click.echo(json.dumps(results if cell is not None else results[""], indent=2))
        return
    for direction, data in results.items():
        if direction:
            click.echo(f"{DIRECTION_NAMES[direction]} ({protocol} protocol)")
        _echo_scores(data, policy)


def _echo_scores(data: Mapping[str, Any], zero_relevant: str) -> None:
    """One direction's metrics, one per line."""
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


def _cell_codes(
    path: Path, protocol: Protocol
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray] | None:
    """(codes, query labels, retrieval labels) of a results folder's cell codes file
    under ``protocol``, or None when ``path`` is not one."""
    if path.suffix.lower() != ".npz" or not path.is_file():
        return None
    from cmhbench.arrays import read_npz
    from cmhbench.protocols import protocol_keys

    arrays = read_npz(path.read_bytes(), path)
    if "image_query" not in arrays:
        return None
    keys = protocol_keys(protocol)
    missing = [stored for stored in keys.values() if stored not in arrays]
    if missing:
        raise CmhbenchError(
            f"{path} holds no {protocol} codes ({', '.join(missing)}): its method scores "
            "natively as the suite does (use --protocol suite), or the cell was made "
            "before cmhbench stored native codes"
        )
    codes = {key: arrays[stored] for key, stored in keys.items()}
    return codes, arrays["query_labels"], arrays["retrieval_labels"]


def read_codes_file(path: Path) -> dict[str, np.ndarray]:
    """The :data:`EVAL_KEYS` arrays of an .npz, a MATLAB .mat (v7.3's column-major
    matrices transposed back to one row per item) or a row-major HDF5 file."""
    from cmhbench.arrays import read_arrays

    if not path.is_file():
        raise CmhbenchError(f"codes file not found: {path}")
    return read_arrays(path, EVAL_KEYS)


def _recompute(folder: Path, options: MetricOptions) -> None:
    from cmhbench.store.rescore import rescore_folder

    report = rescore_folder(folder, options=options)
    for path, why in report.skipped:
        click.echo(f"skipped {path}: {why}", err=True)
    click.echo(
        f"re-scored {len(report.rescored)} record(s), skipped {len(report.skipped)}; "
        f"largest change of mAP@all {report.largest_map_change:.4g}"
    )
