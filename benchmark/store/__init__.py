"""Results on disk: one JSON record and one codes ``.npz`` per cell.

Modules: ``records`` (paths, atomic writes, reading and writing records and codes),
``rescore`` (new metrics from stored codes), ``status`` (which cells of a grid are
done, failed, running or missing).
"""
