"""Running a grid: expand it, skip finished cells, claim, train each cell where the
executor puts it (this process, joblib workers, a dask cluster), and write results.

Modules: ``grid`` (the grid and its runner), ``cell`` (one cell's work, as a worker
runs it), ``executors``, ``claims`` (one run per cell across processes and hosts),
``experiment`` (grids declared in TOML), ``provenance`` (versions, revision, device,
memory and thread counts stored with each record).
"""
