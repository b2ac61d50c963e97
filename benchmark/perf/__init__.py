"""Speed benchmarks, reported as ratios against a baseline measured in the same run:
``python -m cmhbench.perf eval|ucch|load|grid`` (see ``python -m cmhbench.perf --help``).

Modules: ``metrics`` (mAP against a per-query reference), ``ucch`` (UCCH training
against an official-style loop), ``load`` (MIRFlickr-sized feature files), ``grid``
(serial, joblib and dask grids).
"""
