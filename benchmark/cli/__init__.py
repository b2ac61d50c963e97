"""The ``cmhbench`` command line: one group, one module per command group
(``listing``, ``run``, ``evaluate``, ``results``, ``statistics``, ``site``,
``features``).

Results go to files, summaries to stdout, logs and progress to stderr. Errors a
user can fix end in one line on stderr and exit status 1 (2 for usage errors).
"""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from cmhbench import __version__
from cmhbench.cli.evaluate import eval_command
from cmhbench.cli.features import features_command
from cmhbench.cli.listing import list_command
from cmhbench.cli.results import cells_command, plot_command, table_command
from cmhbench.cli.run import run_command
from cmhbench.cli.site import report_command
from cmhbench.cli.statistics import compare_command
from cmhbench.errors import CmhbenchError


class _Terminated(BaseException):
    """SIGTERM (``kill``, a batch scheduler's time limit) as an exception, so that a
    run stops as on Ctrl-C: finished cells kept, its claims released."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated


class _Group(click.Group):
    """Turns :class:`CmhbenchError` into one line, and Ctrl-C or SIGTERM into exit
    status 130 or 143 with a line on how to resume."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CmhbenchError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            _say_stopped("interrupted")
            ctx.exit(130)
        except _Terminated:
            _say_stopped("terminated")
            ctx.exit(143)


def _say_stopped(how: str) -> None:
    click.echo(f"\n{how}: finished cells are saved; rerun the same command to resume", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cmhbench")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Benchmark cross-modal hashing methods on the same data, code lengths and metrics."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


for _command in (
    list_command,
    run_command,
    eval_command,
    table_command,
    cells_command,
    plot_command,
    compare_command,
    report_command,
    features_command,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_terminated)
    cli(prog_name="cmhbench")
