"""Progress off a terminal (a log file, a batch scheduler): a line per finished cell,
and periodic lines inside a long cell."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from conftest import FAST_TRIPLET, cmhbench_command

from cmhbench.progress import duration


@pytest.mark.slow
def test_a_run_logged_to_a_file_shows_a_line_per_cell_and_lines_inside_cells(tmp_path):
    log = tmp_path / "run.log"
    command = [
        *cmhbench_command(),
        "run",
        "--methods",
        "triplet",
        "--bits",
        "8,16",
        "--out",
        str(tmp_path / "runs"),
        *FAST_TRIPLET,
    ]
    env = {**os.environ, "CMHBENCH_PROGRESS_INTERVAL": "0"}
    with log.open("w") as stderr:
        result = subprocess.run(command, stderr=stderr, stdout=subprocess.PIPE, env=env)
    assert result.returncode == 0
    lines = log.read_text().splitlines()
    assert all(re.match(r"\[\d\d:\d\d:\d\d\] ", line) for line in lines), lines
    assert "grid: 2 cells, 0 done before, 2 to run" in lines[0]
    cells = [line for line in lines if "] cell " in line]
    assert len(cells) == 2
    assert re.search(
        r"cell 1/2: synthetic triplet 8 bits seed 0: ok, mAP i2t 0\.\d{3} t2i 0\.\d{3} "
        r"\(\d+ s\); 1 left, about \d+ s left$",
        cells[0],
    ), cells[0]
    assert cells[1].endswith("; 0 left")
    epochs = [line for line in lines if "triplet 8 bits: epoch" in line]
    assert [line.split("epoch ")[1].split(",")[0] for line in epochs] == ["1/4", "2/4", "3/4"]
    assert re.search(r"loss \d+\.\d{4}, \d+ s elapsed, about \d+ s left$", epochs[0])
    assert "\r" not in log.read_text()  # no terminal bars in the log


def test_durations_read_naturally():
    assert [duration(s) for s in (4.4, 250, 11_100)] == ["4 s", "4 min 10 s", "3 h 05 min"]
