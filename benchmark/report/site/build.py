"""Write a results site: ``index.html``, ``data.js`` (the document of
:mod:`.payload`) and ``assets/`` (the page's script and style, and Plotly's
JavaScript), so that the folder opens from ``file://`` with no network. The same
records give the same bytes (nothing here reads the clock)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from cmhbench.atomic import atomic_write_bytes
from cmhbench.protocols import Protocol
from cmhbench.report.site.payload import Located, site_document

PAGE = jinja2.Template(
    (resources.files("cmhbench.report.site") / "page.html.j2").read_text(), autoescape=True
)


def build_site(
    collections: Sequence[tuple[str, Located]],
    out: Path,
    *,
    title: str,
    protocol: Protocol = "suite",
) -> dict[str, Any]:
    """Write the site of the named ``collections`` of (path, record) pairs into folder
    ``out``; return its document."""
    from plotly.offline import get_plotlyjs

    payload = site_document(collections, title=title, protocol=protocol)
    document = json.dumps(payload, allow_nan=False, separators=(",", ":"), sort_keys=True)
    cells = sum(len(collection["cells"]) for collection in payload["collections"])
    page = PAGE.render(title=title, cells=cells, protocol=protocol)
    files = {
        "index.html": page.encode(),
        "data.js": f"window.CMHBENCH = {document};\n".encode(),
        "assets/plotly.min.js": get_plotlyjs().encode(),
    }
    assets = resources.files("cmhbench.report.site") / "assets"
    for name in ("site.js", "site.css"):
        files[f"assets/{name}"] = (assets / name).read_bytes()
    for name, content in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != content:
            atomic_write_bytes(path, content)
    return payload
