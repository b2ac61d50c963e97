"""Retrieval protocols: each method's native codes are stored with the cell beside the
suite's, so that every scoring path (tables, plots, eval, a run's printed table) can
switch protocols without retraining, and never mixes the two."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cmhbench.cli import cli
from cmhbench.data import CrossModalData
from cmhbench.datasets import dataset_loader
from cmhbench.metrics import evaluate_both_directions
from cmhbench.protocols import NATIVE_KINDS, native_codes, native_key
from cmhbench.registry import METHODS, get_method
from cmhbench.report.formats import render
from cmhbench.report.frames import records_frame
from cmhbench.report.tables import build_table, parse_metric
from cmhbench.run.config import GridSpec
from cmhbench.run.grid import run_grid
from cmhbench.store import records
from cmhbench.store.rescore import rescore_folder
from cmhbench.store.schema import CellSpec, migrate

CODE_SETS = ("image_query", "text_query", "image_retrieval", "text_retrieval")


@pytest.fixture(scope="module")
def synthetic() -> CrossModalData:
    return dataset_loader("synthetic").load(seed=0)


def suite_codes(method, data: CrossModalData) -> dict[str, np.ndarray]:
    from cmhbench.method import encode_parts

    return encode_parts(method, data)


def test_training_codes_replace_the_codes_of_retrieval_items_seen_in_training(synthetic):
    """DLFH's native database: its learnt codes for the 512 training pairs (all of them
    retrieval items on synthetic), its hash functions for the other 1,488. (Here its
    ridge hash functions reproduce the training codes, so only the rows are checked;
    on uci-mfeat the two protocols differ, below.)"""
    method = get_method("dlfh")(16)
    method.fit(synthetic.part("train"), seed=0)
    suite = suite_codes(method, synthetic)
    native, encoded = native_codes(method, synthetic, suite)
    assert encoded == {"image": 1488, "text": 1488}
    row = {int(item): i for i, item in enumerate(synthetic.retrieval_idx)}
    trained = np.array([row[int(item)] for item in synthetic.train_idx])
    seen = np.zeros(synthetic.retrieval_idx.size, bool)
    seen[trained] = True
    for modality in ("image", "text"):
        key = f"{modality}_retrieval"
        assert np.array_equal(native[key][trained], method.training_codes[modality])
        assert np.array_equal(native[key][~seen], suite[key][~seen])
        assert np.array_equal(native[f"{modality}_query"], suite[f"{modality}_query"])


def test_unified_database_codes_serve_both_directions(synthetic):
    method = get_method("lssh")(16, rounds=2)
    method.fit(synthetic.part("train"), seed=0)
    suite = suite_codes(method, synthetic)
    native, encoded = native_codes(method, synthetic, suite)
    retrieval = synthetic.part("retrieval")
    unified = method.unified_codes(retrieval.image, retrieval.text)
    assert encoded == {}
    assert np.array_equal(native["image_retrieval"], unified)
    assert np.array_equal(native["text_retrieval"], unified)
    assert np.array_equal(native["text_query"], suite["text_query"])


def fused_by_hand(method, images: np.ndarray, texts: np.ndarray, block: int) -> np.ndarray:
    """``queryFOMH.m`` written out: per block, five rounds of B = sign(2 mu1 W1 phi1 +
    2 mu2 W2 phi2), mu_m = 1 / (2 ||B - W_m phi_m||_F), mu carried between blocks."""
    f1 = method.features(images, "image") @ method.projections["image"]
    f2 = method.features(texts, "text") @ method.projections["text"]
    mu1 = mu2 = 0.5
    out = []
    for start in range(0, len(images), block):
        a, b = f1[start : start + block], f2[start : start + block]
        for _ in range(5):
            codes = np.where(2 * mu1 * a + 2 * mu2 * b >= 0, 1, -1)
            mu1 = 1 / (2 * np.sqrt(((codes - a) ** 2).sum()))
            mu2 = 1 / (2 * np.sqrt(((codes - b) ** 2).sum()))
        out.append(codes)
    return np.vstack(out)


def test_fused_codes_follow_query_fomh_and_make_both_directions_alike(synthetic):
    method = get_method("fomh")(16, chunk=300)
    method.fit(synthetic.part("train", with_labels=True), seed=0)
    retrieval = synthetic.part("retrieval")
    fused = method.fused_codes(retrieval.image, retrieval.text)
    assert np.array_equal(fused, fused_by_hand(method, retrieval.image, retrieval.text, 300))
    native, _ = native_codes(method, synthetic, suite_codes(method, synthetic))
    assert np.array_equal(native["image_query"], native["text_query"])
    assert np.array_equal(native["image_retrieval"], fused)
    scores = evaluate_both_directions(
        native, synthetic.labels[synthetic.query_idx], synthetic.labels[synthetic.retrieval_idx]
    )
    assert scores["i2t"].to_dict()["map"] == scores["t2i"].to_dict()["map"]


def test_a_method_without_the_hook_its_kind_needs_gets_one_error_line(synthetic):
    method = get_method("dlfh")(16)
    method.fit(synthetic.part("train"), seed=0)
    del method.training_codes
    with pytest.raises(Exception, match="needs training_codes"):
        native_codes(method, synthetic, suite_codes(method, synthetic))


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """DLFH (native: training codes) and CVH (native: the suite's) on uci-mfeat."""
    out = tmp_path_factory.mktemp("protocols")
    run_grid(
        GridSpec(
            methods=["dlfh", "cvh"], datasets=["uci-mfeat"], bits=[16, 32], out=out, progress=False
        )
    )
    return out


def test_a_cell_stores_and_scores_the_native_codes_beside_the_suite_s(grid):
    record = records.read_record(grid / "uci-mfeat" / "dlfh" / "bits16-seed0.json")
    codes = records.read_codes(grid / "uci-mfeat" / "dlfh" / "bits16-seed0.npz")
    native = record["native"]
    assert native["kind"] == "training-codes"
    assert native["encoded_retrieval_items"] == {"image": 0, "text": 0}  # train = retrieval
    expected = evaluate_both_directions(
        {key: codes[native_key(key)] for key in CODE_SETS},
        codes["query_labels"],
        codes["retrieval_labels"],
    )
    for direction, scores in expected.items():
        assert native["metrics"][direction]["map"] == pytest.approx(scores.to_dict()["map"])
        assert native["metrics"][direction]["map"] != record["metrics"][direction]["map"]
    plain = records.read_record(grid / "uci-mfeat" / "cvh" / "bits16-seed0.json")
    assert plain["native"] == {"kind": "suite"}
    assert native_key("image_query") not in records.read_codes(
        grid / "uci-mfeat" / "cvh" / "bits16-seed0.npz"
    )


def test_a_native_table_scores_each_method_its_authors_way_and_says_so(grid):
    found = records.read_records(grid)
    metric = parse_metric("map")
    suite = build_table(records_frame(found), metric)
    native = build_table(records_frame(found, "native"), metric)
    column = ("uci-mfeat", "i2t", 16)
    dlfh, cvh = ("Supervised", "dlfh", ""), ("Unsupervised", "cvh", "")
    assert native.mean.at[dlfh, column] != suite.mean.at[dlfh, column]
    assert native.mean.at[cvh, column] == suite.mean.at[cvh, column]
    assert (suite.protocol, native.protocol, native.native) == (
        "suite",
        "native",
        {"dlfh": "training-codes"},
    )
    for fmt in ("console", "markdown", "latex"):
        text = render(native, fmt)
        assert "native protocol" in text and "DLFH: database items seen in training" in text
        assert "Suite protocol" in render(suite, fmt)
    assert set(render(native, "csv").splitlines()[1].split(",")[:2]) == {"mAP@all", "native"}


def test_the_commands_take_a_protocol_and_never_retrain(grid, tmp_path):
    runner = CliRunner()
    before = {path: path.stat().st_mtime_ns for path in grid.rglob("*")}
    native = runner.invoke(cli, ["table", str(grid), "--protocol", "native"])
    suite = runner.invoke(cli, ["table", str(grid)])
    assert native.exit_code == suite.exit_code == 0
    assert native.output != suite.output and "native protocol" in native.output
    plot = runner.invoke(
        cli, ["plot", "bits", str(grid), "--protocol", "native", "--out", str(tmp_path)]
    )
    assert plot.exit_code == 0, plot.output
    assert (tmp_path / "bits-uci-mfeat-native.png").is_file()
    rerun = runner.invoke(
        cli,
        [
            "run",
            "--methods",
            "dlfh",
            "--datasets",
            "uci-mfeat",
            "--bits",
            "16,32",
            "--out",
            str(grid),
            "--protocol",
            "native",
        ],
    )
    assert rerun.exit_code == 0, rerun.output
    assert "native protocol" in rerun.output
    assert {path: path.stat().st_mtime_ns for path in grid.rglob("*")} == before


def test_eval_scores_a_cell_s_codes_file_under_either_protocol(grid, tmp_path):
    runner = CliRunner()
    cell = grid / "uci-mfeat" / "dlfh" / "bits16-seed0.npz"
    record = records.read_record(cell.with_suffix(".json"))
    for protocol, metrics in (
        ("suite", record["metrics"]),
        ("native", record["native"]["metrics"]),
    ):
        result = runner.invoke(cli, ["eval", str(cell), "--protocol", protocol, "--json"])
        assert result.exit_code == 0, result.output
        scored = json.loads(result.output)
        for direction in ("i2t", "t2i"):
            assert scored[direction]["map"] == pytest.approx(metrics[direction]["map"])
    plain = runner.invoke(
        cli, ["eval", str(grid / "uci-mfeat" / "cvh" / "bits16-seed0.npz"), "--protocol", "native"]
    )
    assert plain.exit_code != 0 and "holds no native codes" in plain.output
    external = tmp_path / "codes.npz"
    rng = np.random.default_rng(0)
    np.savez(
        external,
        query_codes=np.sign(rng.standard_normal((5, 8))),
        retrieval_codes=np.sign(rng.standard_normal((9, 8))),
        query_labels=np.eye(5, 3, dtype=np.uint8),
        retrieval_labels=np.eye(9, 3, dtype=np.uint8),
    )
    refused = runner.invoke(cli, ["eval", str(external), "--protocol", "native"])
    assert refused.exit_code != 0 and "holds one set of codes" in refused.output


def test_rescoring_recomputes_the_native_metrics_from_the_stored_codes(grid, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(grid, folder)
    path = folder / "uci-mfeat" / "dlfh" / "bits32-seed0.json"
    record = records.read_record(path)
    truth = record["native"]["metrics"]["i2t"]["map"]
    record["native"]["metrics"]["i2t"]["map"] = 0.0
    records.write_record(path, record)
    report = rescore_folder(folder)
    assert path in report.rescored
    assert records.read_record(path)["native"]["metrics"]["i2t"]["map"] == pytest.approx(truth)


def test_records_made_before_native_codes_are_retrained_only_where_they_lack_them(grid, tmp_path):
    """A schema-2 record of DLFH has no native codes: its cell runs again and native
    tables leave it out; a schema-2 record of CVH (native = suite) stays done."""
    folder = tmp_path / "old"
    shutil.copytree(grid, folder)
    for method in ("dlfh", "cvh"):
        path = folder / "uci-mfeat" / method / "bits16-seed0.json"
        old = {key: value for key, value in json.loads(path.read_text()).items()}
        del old["native"]
        old["schema_version"] = 2  # and the hash schema 2 gave it, without the native kind
        old["config_hash"] = CellSpec.from_record({**old, "native": None}).config_hash
        records.write_record(path, old)
    dlfh_old = migrate(json.loads((folder / "uci-mfeat/dlfh/bits16-seed0.json").read_text()))
    cvh_old = migrate(json.loads((folder / "uci-mfeat/cvh/bits16-seed0.json").read_text()))
    assert dlfh_old["native"] is None and cvh_old["native"] == {"kind": "suite"}
    frame = records_frame(records.read_records(folder), "native")
    cells = frame.drop_duplicates(["method", "bits"])
    assert len(cells) == 3  # DLFH at 16 bits is left out
    stamps = {
        m: (folder / f"uci-mfeat/{m}/bits16-seed0.json").stat().st_mtime_ns for m in ("dlfh", "cvh")
    }
    run_grid(
        GridSpec(
            methods=["dlfh", "cvh"], datasets=["uci-mfeat"], bits=[16], out=folder, progress=False
        )
    )
    assert (folder / "uci-mfeat/cvh/bits16-seed0.json").stat().st_mtime_ns == stamps["cvh"]
    assert (folder / "uci-mfeat/dlfh/bits16-seed0.json").stat().st_mtime_ns != stamps["dlfh"]
    assert records.read_record(folder / "uci-mfeat/dlfh/bits16-seed0.json")["native"]["metrics"]


def test_list_shows_each_method_s_native_protocol():
    result = CliRunner().invoke(cli, ["list", "--json"])
    methods = {entry["name"]: entry for entry in json.loads(result.output)["methods"]}
    assert {
        name: methods[name]["native_protocol"] for name in ("dlfh", "mtfh", "lssh", "fomh", "ucch")
    } == {
        "dlfh": "training-codes",
        "mtfh": "training-codes",
        "lssh": "unified-database",
        "fomh": "fused",
        "ucch": "suite",
    }
    text = CliRunner().invoke(cli, ["list"]).output
    assert "native protocol: unified-database (each database pair takes one code" in text


NATIVE = [name for name in METHODS.names() if get_method(name).info.native != "suite"]


def test_the_methods_that_score_natively_otherwise_are_the_four_the_authors_code_says():
    assert sorted(NATIVE) == ["dlfh", "fomh", "lssh", "mtfh"]
    assert all(get_method(name).info.native in NATIVE_KINDS for name in METHODS.names())


@pytest.mark.parametrize("name", NATIVE)
def test_every_method_with_a_native_protocol_makes_its_codes(name, synthetic):
    method_cls = get_method(name)
    method = method_cls(16, **method_cls.quick_settings)
    method.fit(synthetic.part("train", with_labels=method.uses_labels), seed=0)
    suite = suite_codes(method, synthetic)
    native, _ = native_codes(method, synthetic, suite)
    assert set(native) == set(CODE_SETS)
    for key, codes in native.items():
        assert codes.dtype == np.int8 and codes.shape == suite[key].shape
        assert np.isin(codes, (-1, 1)).all()


def test_a_native_table_says_where_database_items_fell_back_to_encoded_codes(tmp_path, caplog):
    """On synthetic DLFH trains on 512 of the 2,000 retrieval items: the other 1,488
    take encoded codes, which the record counts and a native table reports."""
    run_grid(GridSpec(methods=["dlfh"], bits=[16], out=tmp_path, progress=False))
    found = records.read_records(tmp_path)
    assert found[0]["native"]["encoded_retrieval_items"] == {"image": 1488, "text": 1488}
    with caplog.at_level("WARNING", logger="cmhbench"):
        records_frame(found, "native")
    assert "in synthetic/dlfh the method did not train on every retrieval item" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="cmhbench"):
        records_frame(found)
    assert caplog.text == ""
