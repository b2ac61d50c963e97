"""Speed and size of the results site (default: the reference and robustness grids).

Times, in one process: reading the records (the baseline every report needs), the
site's document (tables with statistics, rank tests, curves), and writing the folder;
reports the folder's size; and, where Debian's ``chromium`` and ``chromedriver`` and
selenium are installed, the first contentful paint and the time until the first view
has drawn its figures in headless Chromium (the median of ``--repeat`` page loads).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import click

from cmhbench.errors import CmhbenchError


@click.command()
@click.argument("results_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--repeat", default=5, show_default=True, help="Page loads timed in the browser.")
def site_benchmark(results_dirs: tuple[Path, ...], repeat: int) -> None:
    """The site of RESULTS (default results/reference results/robustness): seconds per
    step, size on disk, and first paint in headless Chromium."""
    from cmhbench.report.site.build import build_site
    from cmhbench.report.site.payload import site_document
    from cmhbench.store.records import read_folder

    folders = results_dirs or (Path("results/reference"), Path("results/robustness"))
    start = time.perf_counter()
    collections = [(folder.name, read_folder(folder)[0]) for folder in folders]
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    site_document(collections, title="benchmark")
    document_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        start = time.perf_counter()
        build_site(collections, out, title="benchmark")
        build_s = time.perf_counter() - start
        size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
        cells = sum(len(located) for _, located in collections)
        click.echo(f"{', '.join(map(str, folders))}: {cells} records")
        click.echo(f"  read records (baseline)   {read_s:7.2f} s")
        click.echo(f"  site document             {document_s:7.2f} s  {document_s / read_s:5.1f}x")
        click.echo(f"  document and files        {build_s:7.2f} s  {build_s / read_s:5.1f}x")
        click.echo(f"  size on disk              {size / 1e6:7.2f} MB")
        paints = _first_paint(out / "index.html", repeat)
        if paints is None:
            click.echo("  first paint: not measured (no headless Chromium here)")
            return
        contentful, drawn = paints
        click.echo(f"  first contentful paint    {contentful:7.2f} s  (median of {repeat})")
        click.echo(f"  first view drawn          {drawn:7.2f} s  (tables and figures)")


def _first_paint(page: Path, repeat: int) -> tuple[float, float] | None:
    """(first contentful paint, until the first figure has its traces), in seconds,
    median over ``repeat`` loads; None where the browser tools are missing."""
    from cmhbench.report.site.browser import headless_chromium

    try:
        browser = headless_chromium(1400, 1000)
    except CmhbenchError as exc:
        click.echo(f"  {exc}")
        return None
    if browser is None:
        return None
    contentful, drawn = [], []
    try:
        for _ in range(repeat):
            browser.get(page.as_uri() + "#0/")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not browser.execute_script(
                "return document.querySelector('.figure .scatterlayer .trace') !== null"
            ):
                time.sleep(0.01)
            paint, done = browser.execute_script(
                "const p = performance.getEntriesByName('first-contentful-paint')[0];"
                "return [p ? p.startTime : null, performance.now()];"
            )
            contentful.append((paint or 0.0) / 1000)
            drawn.append(done / 1000)
    finally:
        browser.quit()
    return statistics.median(contentful), statistics.median(drawn)
