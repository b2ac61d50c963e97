"""Registry lookups, decorator and entry-point registration, hyper-parameter overrides."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import cmhbench_command, write_dist_info

from cmhbench.datasets import BUILTIN as BUILTIN_DATASETS
from cmhbench.errors import CmhbenchError, UnknownNameError
from cmhbench.method import Method, MethodInfo, hyperparameter, resolve_overrides
from cmhbench.methods import BUILTIN as BUILTIN_METHODS
from cmhbench.registry import METHODS, get_dataset, get_method, register_method
from cmhbench.report.names import dataset_label, method_label


def test_unknown_names_suggest_the_closest():
    with pytest.raises(UnknownNameError, match="did you mean 'triplet'"):
        get_method("tripplet")
    with pytest.raises(UnknownNameError, match="did you mean 'synthetic'"):
        get_dataset("synthetc")


@pytest.mark.slow
@pytest.mark.parametrize(
    "code",
    [
        "from cmhbench.registry import METHODS, DATASETS; "
        "assert 'triplet' in METHODS.names() and 'synthetic' in DATASETS.names()",
        "from click.testing import CliRunner; from cmhbench.cli import cli; "
        "r = CliRunner().invoke(cli, ['run', '--help']); assert r.exit_code == 0, r.output",
    ],
    ids=["listing-names", "run-help"],
)
def test_cheap_paths_import_neither_torch_nor_method_modules(code):
    check = "; import sys; assert not {'torch', 'cmhbench.methods.triplet'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code + check], check=True)


def test_tables_and_figures_print_the_papers_names():
    assert all(get_method(name).info.short_name for name in BUILTIN_METHODS)
    assert all(get_dataset(name).short_name for name in BUILTIN_DATASETS)
    assert (method_label("ucch"), method_label("triplet")) == ("UCCH", "Triplet")
    assert (dataset_label("mirflickr25k"), dataset_label("nus-wide-tc10")) == (
        "MIRFlickr-25K",
        "NUS-WIDE",
    )
    # A name the registry does not know (a user's file, a variant) prints as recorded.
    assert method_label("mine") == "mine"
    assert dataset_label("synthetic-noise0.5") == "synthetic-noise0.5"


@dataclass(frozen=True)
class _EchoParams:
    scale: float = hyperparameter(1.0, "test")
    widths: tuple[int, ...] = hyperparameter((4, 4), "test")
    flag: bool = hyperparameter(False, "test")


def test_decorator_registers_a_script_method():
    @register_method("script-echo")
    class Echo(Method):
        info = MethodInfo(title="t", authors="a", venue="v")
        Params = _EchoParams

        def fit(self, data, *, device="cpu", seed=0, progress=False):
            pass

        def encode(self, features, modality):
            return np.ones((len(features), self.bits), np.int8)

    try:
        assert get_method("script-echo") is Echo and Echo.name == "script-echo"
        assert METHODS.origin("script-echo") == "script"
        method = Echo(8, scale="2.5", widths="16,8", flag="yes")
        assert method.params == _EchoParams(2.5, (16, 8), True)
        with pytest.raises(TypeError, match="Method subclass"):
            register_method("not-a-method")(int)
    finally:
        METHODS._loaded.pop("script-echo")


def test_entry_point_plugin_is_discovered_and_loaded(plugin):
    assert "projection" in METHODS.names()
    assert METHODS.origin("projection") == "plugin (cmhbench-test-plugin)"
    assert get_method("projection").name == "projection"


def test_plugin_name_collision_names_both_sources(plugin, tmp_path, monkeypatch):
    write_dist_info(tmp_path, "clash", "triplet = clash:Hash")
    monkeypatch.syspath_prepend(str(tmp_path))
    METHODS.reset_discovery()
    with pytest.raises(CmhbenchError, match=r"registered twice.*clash:Hash"):
        METHODS.names()


@pytest.mark.slow
def test_broken_plugin_is_reported_not_raised(plugin, tmp_path, monkeypatch):
    write_dist_info(tmp_path, "broken", "broken = no_such_module:X")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = subprocess.run(
        [*cmhbench_command(), "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(plugin)])},
    )
    assert out.returncode == 0, out.stderr
    assert "broken" in out.stdout and "UNAVAILABLE" in out.stdout
    assert "projection" in out.stdout and "triplet" in out.stdout


def test_bits_must_be_sensible():
    cls = get_method("triplet")
    for bits in (0, 10_000, 16.0):
        with pytest.raises(CmhbenchError, match="bits"):
            cls(bits)


def test_overrides_apply_to_every_method_that_has_the_key(plugin):
    classes = {"triplet": get_method("triplet"), "projection": get_method("projection")}
    resolved = resolve_overrides(classes, ["epochs=3", "projection.delay=0.5", "margin=0.1"])
    assert resolved == {"triplet": {"epochs": "3", "margin": "0.1"}, "projection": {"delay": "0.5"}}
    triplet = classes["triplet"](16, **resolved["triplet"])
    assert triplet.params.epochs == 3 and triplet.params.margin == 0.1


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["epochs"], "KEY=VALUE"),
        (["=3"], "KEY=VALUE"),
        (["epoch=3"], "did you mean 'epochs'"),
        (["ucch.epochs=3"], "not selected"),
        (["triplet.margn=3"], "did you mean 'margin'"),
    ],
)
def test_bad_overrides_are_rejected(items, message):
    with pytest.raises(CmhbenchError, match=message):
        resolve_overrides({"triplet": get_method("triplet")}, items)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("epochs", "many", "type int"),
        ("epochs", 2.5, "type int"),
        ("reduction", "median", "one of"),
        ("image_hidden", "a,b", "type int"),
    ],
)
def test_bad_override_values_are_rejected(key, value, message):
    with pytest.raises(CmhbenchError, match=message):
        get_method("triplet")(16, **{key: value})


def test_a_dataset_is_a_dataset_subclass_and_gets_the_loader_defaults():
    from cmhbench import Dataset, register_dataset
    from cmhbench.datasets import dataset_loader
    from cmhbench.datasets.synthetic import SyntheticConfig, generate
    from cmhbench.registry import DATASETS

    with pytest.raises(TypeError, match=r"cmhbench\.Dataset subclass"):
        register_dataset("bare-test")(type("Bare", (), {"load": lambda self, seed=0: None}))

    @register_dataset("tiny-test")
    class Tiny(Dataset):
        def __init__(self, items: int = 60):
            self.items = items

        def load(self, *, seed=0):
            return generate(SyntheticConfig(n_items=self.items, n_query=10, n_train=None), seed)

    try:
        loader = dataset_loader("tiny-test:items=80")
        assert (loader.name, loader.files(), loader.supervised_train_size) == (
            "tiny-test",
            [],
            None,
        )
        assert loader.load(seed=0).n_items == 80
    finally:
        DATASETS._loaded.pop("tiny-test", None)


def test_a_process_keeps_only_the_dataset_it_loaded_last():
    from cmhbench.run import cell

    cell.dataset_views("synthetic", None, 0)
    views = cell.dataset_views("uci-mfeat", None, 0)
    assert list(cell._LOADED) == [("uci-mfeat", None, 0)]
    assert cell.dataset_views("uci-mfeat", None, 0) is views  # kept for the next cell
