"""A results site: one self-contained folder (``index.html``, its data and its assets)
that opens from ``file://`` with no server and no network (``cmhbench report``).

:mod:`.payload` turns records into the one JSON document the page shows;
:mod:`.build` writes the folder. The page's script (``assets/site.js``) draws tables
and figures from that document with Plotly, whose JavaScript is copied in once.
"""
