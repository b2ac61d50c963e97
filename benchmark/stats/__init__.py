"""Is a difference larger than noise? Statistics over stored per-query AP.

Every scored cell keeps each query's AP@all (:func:`cmhbench.store.records.read_query_ap`),
so these procedures never retrain and never re-score:

* :mod:`cmhbench.stats.samples`: a run's AP in one column (dataset, code length,
  direction) as a seeds x queries matrix, checked to share its queries with the others.
* :mod:`cmhbench.stats.bootstrap`: a 95% interval of a run's mean by a two-stage
  bootstrap, seeds, then queries.
* :mod:`cmhbench.stats.paired`: two runs compared on the same queries (paired over
  queries, each run's seed variance included), and a column's runs against its best
  with Holm's correction.
"""
