"""Figures: axes, one line per method, fixed styles, files from the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from matplotlib.colors import to_hex
from result_records import record, write

from cmhbench.cli import cli
from cmhbench.report import plots
from cmhbench.report.frames import pr_frame, records_frame

METHODS = ("ucch", "triplet", "cvh")


def records(methods=METHODS, bits=(16, 32), seeds=(0, 1)):
    return [
        record(m, b, s, 0.5 + 0.1 * i + 0.01 * s, 0.4 + 0.1 * i)
        for i, m in enumerate(methods)
        for b in bits
        for s in seeds
    ]


def method_lines(axis):
    """The lines seaborn drew for the methods, in hue order (legend proxies excluded)."""
    return [line for line in axis.get_lines() if len(line.get_xdata()) > 1]


def test_pr_figure_has_a_panel_per_direction_and_a_line_per_method():
    figure = plots.pr_figure(pr_frame(records()), dataset="synthetic", bits=32)
    axes = figure.axes
    assert [a.get_title() for a in axes] == ["Image \u2192 Text", "Text \u2192 Image"]
    assert axes[0].get_xlabel() == "recall" and axes[0].get_ylabel() == "precision"
    for axis in axes:
        assert len(method_lines(axis)) == len(METHODS)
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["CVH", "Triplet", "UCCH"]
    assert legend.get_title().get_text() == "Synthetic, 32 bits"  # the papers' names
    ucch = method_lines(axes[0])[sorted(METHODS).index("ucch")]
    assert ucch.get_xdata()[-1] == pytest.approx(1.0)  # recall at the largest radius
    assert ucch.get_ydata()[0] == pytest.approx(0.505)  # mean of the two seeds at radius 0


def test_bits_figure_plots_the_metric_against_code_length():
    figure = plots.bits_figure(records_frame(records()), dataset="synthetic")
    axis = figure.axes[0]
    assert axis.get_xscale() == "log" and axis.get_xlabel() == "code length (bits)"
    assert axis.get_ylabel() == "mAP@all"
    assert [t.get_text() for t in axis.get_xticklabels()] == ["16", "32"]
    lines = method_lines(axis)
    assert len(lines) == len(METHODS)
    assert list(lines[sorted(METHODS).index("cvh")].get_ydata()) == pytest.approx([0.705, 0.705])


def test_topk_figure_leaves_out_k_beyond_the_retrieval_set():
    figure = plots.topk_figure(records_frame(records()), dataset="synthetic", bits=16)
    for line in method_lines(figure.axes[0]):
        assert list(line.get_xdata()) == [1, 10]  # K = 1000 exceeds the 100 items


def test_a_method_keeps_its_colour_and_marker_in_every_figure():
    everyone = plots.bits_figure(records_frame(records()), dataset="synthetic")
    subset = plots.bits_figure(records_frame(records(methods=("ucch",))), dataset="synthetic")

    def style(figure, method, methods):
        line = method_lines(figure.axes[0])[sorted(methods).index(method)]
        return to_hex(line.get_color()), line.get_marker()

    assert style(everyone, "ucch", METHODS) == style(subset, "ucch", ("ucch",))
    assert style(everyone, "ucch", METHODS) != style(everyone, "cvh", METHODS)


@pytest.mark.slow
def test_cli_writes_pdf_and_png_per_dataset(tmp_path):
    for item in records():
        write(tmp_path / "runs", item)
    runner = CliRunner()
    for kind, stem in (("pr", "pr-synthetic-32bits"), ("bits", "bits-synthetic")):
        result = runner.invoke(
            cli, ["plot", kind, str(tmp_path / "runs"), "--out", str(tmp_path / "fig")]
        )
        assert result.exit_code == 0, result.output
        for suffix in (".pdf", ".png"):
            assert (tmp_path / "fig" / f"{stem}{suffix}").stat().st_size > 1000
    # No timestamp in the PDF, so that the same records redraw the same bytes.
    assert b"/CreationDate" not in (tmp_path / "fig" / "bits-synthetic.pdf").read_bytes()
    bad = runner.invoke(cli, ["plot", "pr", str(tmp_path / "runs"), "--bits", "64"])
    assert (
        bad.exit_code == 1 and "no precision-recall points for synthetic at 64 bits" in bad.stderr
    )
