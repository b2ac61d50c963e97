"""From records to what goes into a paper: tidy frames, tables, their formats, figures,
and the published numbers shipped beside them.

Modules: ``frames`` (records to pandas frames), ``tables`` and ``formats`` (building
and printing paper-layout tables), ``plots``, ``names`` (papers' names of methods
and datasets), ``published`` (published results, with their data files).
"""
