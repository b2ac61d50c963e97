"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cmhbench.registry import METHODS
from cmhbench.run.grid import GridSpec, run_grid

README = Path(__file__).parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.fixture
def example_method():
    namespace: dict = {}
    exec(next(b for b in python_blocks() if "@register_method" in b), namespace)
    yield namespace["MyHash"]
    METHODS._loaded.pop("myhash", None)


def test_the_method_example_registers_and_runs_in_a_grid(example_method, tmp_path):
    assert "run_grid(GridSpec(" in README.read_text()
    records = run_grid(GridSpec(methods=["myhash"], bits=[16], out=tmp_path, progress=False))
    assert [r["status"] for r in records] == ["ok"]
    assert records[0]["metrics"]["i2t"]["map"] > 0.3  # random codes score about 0.25 here


def test_the_python_examples_use_only_the_public_api():
    """Every name a README example takes from cmhbench is exported by ``cmhbench``
    (the runnable examples are run by the other tests here; the Slurm one needs a
    cluster, so its names are checked here)."""
    import cmhbench

    used = set()
    for block in python_blocks():
        imports = re.findall(r"^\s*from cmhbench import (?:\(([^)]*)\)|(.+)$)", block, flags=re.M)
        for names in ("".join(parts) for parts in imports):
            used |= {name.strip() for name in names.split(",") if name.strip()}
        used |= set(re.findall(r"\bcmhbench\.(\w+)\(", block))
        assert not re.search(r"^\s*from cmhbench\.\w", block, flags=re.M), block
    assert {"GridSpec", "run_grid", "Method", "register_method", "pr_figure"} <= used
    assert used <= set(cmhbench.__all__)
    assert set(cmhbench.__all__) == {"__version__", *cmhbench._LAZY_EXPORTS}
    for name in used:
        assert getattr(cmhbench, name) is not None


def test_ci_runs_the_readme_test_command_verbatim():
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    test_command = next(b.strip() for b in blocks if "pytest" in b)
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci.splitlines()


def test_the_plot_example_restyles_and_saves_a_figure(tmp_path, monkeypatch):
    block = next(b for b in python_blocks() if "cmhbench.pr_figure" in b)
    reference = README.parent / "results" / "reference"
    monkeypatch.chdir(tmp_path)
    exec(block.replace('"results/reference"', repr(str(reference))), {})
    assert (tmp_path / "pr-uci-mfeat-64.pdf").stat().st_size > 1000


def test_the_bad_input_example_is_what_the_command_prints():
    from click.testing import CliRunner

    from cmhbench.cli import cli

    example = re.search(r"\$ cmhbench (.*)\n(Error: .*)\n", README.read_text())
    assert example, "the README shows a bad-input example"
    result = CliRunner().invoke(cli, example.group(1).split())
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == example.group(2)


@pytest.mark.parametrize(
    ("dataset", "methods"), [("synthetic", ["ucch", "triplet"]), ("uci-mfeat", ["ucch"])]
)
def test_the_printed_run_tables_are_what_run_prints_for_the_reference_records(dataset, methods):
    """The README's run outputs (the default job; UCCH on uci-mfeat) equal run's closing
    table over the committed seed-0 records, so a change of format or of the numbers
    shows up here."""
    import json

    from cmhbench.report.formats import to_text
    from cmhbench.report.frames import records_frame
    from cmhbench.report.tables import build_table, parse_metric

    folder = README.parent / "results" / "reference" / dataset
    records = [
        json.loads((folder / method / f"bits{bits}-seed0.json").read_text())
        for method in methods
        for bits in (16, 32, 64, 128)
    ]
    table = build_table(records_frame(records), parse_metric("map"), methods=methods)
    printed = "records in results/runs (zero_relevant=count)\n" + to_text(table, markdown=False)
    assert f"```text\n{printed}```" in README.read_text()


def test_the_layout_section_names_every_core_module_and_every_folder():
    layout = README.read_text().split("## Layout", 1)[1].split("```text\n", 1)[1].split("```")[0]
    root = README.parent / "benchmark"
    for module in sorted(root.glob("*.py")):
        if module.name not in ("__init__.py", "__main__.py"):
            assert module.name in layout, f"the README's layout does not name {module.name}"
    for folder in sorted(path for path in root.iterdir() if (path / "__init__.py").exists()):
        assert f"  {folder.name}/ " in layout, f"the README's layout does not name {folder}"
    for module in sorted(root.glob("*/*.py")):
        if module.name != "__init__.py" and module.parent.name in ("run", "store", "report"):
            assert module.name in layout, f"the README's layout does not name {module}"
