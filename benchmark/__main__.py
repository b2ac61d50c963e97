"""``python -m cmhbench`` is the same as the ``cmhbench`` command."""

from cmhbench.cli import main

main()
