"""Packaging for cmhbench: one distribution, three source folders mapped under one name.

The folders keep the project's fixed layout (benchmark/, methods/, datasets/) but are
installed as ``cmhbench``, ``cmhbench.methods`` and ``cmhbench.datasets``, so nothing
collides with the PyPI packages called ``benchmark`` or ``datasets``.
"""

from pathlib import Path

from setuptools import find_packages, setup

SOURCES = {"cmhbench": "benchmark", "cmhbench.methods": "methods", "cmhbench.datasets": "datasets"}

setup(
    name="cmhbench",
    version="0.1.0",
    description="A benchmarking suite for cross-modal (image <-> text) hashing.",
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=[
        *SOURCES,
        *(f"cmhbench.{sub}" for sub in find_packages("benchmark")),  # run, store, report, ...
    ],
    package_dir=SOURCES,
    package_data={
        "cmhbench": ["py.typed"],
        "cmhbench.report.published": ["*.csv", "README.md"],
        "cmhbench.report.site": ["assets/*", "page.html.j2"],
        "cmhbench.datasets": ["data/uci-mfeat/*"],
    },
    install_requires=[
        # Install the pinned CPU build first (see README); any 2.x satisfies this range.
        "torch>=2.4",  # fused CPU Adam
        "numpy>=1.26",
        "scipy>=1.11",
        "scikit-posthocs>=0.17",  # Nemenyi test and critical-difference diagrams
        "pandas>=2.1",
        "tabulate>=0.9",
        "seaborn>=0.13",
        "plotly>=5.22",  # the results site's figures; its JavaScript is copied in offline
        "matplotlib>=3.8",  # figures built without pyplot; 'outside' legends
        "jinja2>=3.1",  # pandas Styler.to_latex
        "click>=8.1",
        "joblib>=1.3",
        "filelock>=3.12",  # claims: one lock per results folder for taking stale claims over
        "tqdm>=4.66",
        "threadpoolctl>=3.1",  # BLAS/OpenMP thread counts in records
        "numba>=0.59",
        "h5py>=3.9",  # MATLAB v7.3 and HDF5 feature files
        "tomli>=2.0; python_version < '3.11'",  # experiment files (tomllib from 3.11)
    ],
    extras_require={
        "cluster": ["distributed>=2024.1"],  # --cluster (dask.distributed)
        "dev": [
            "pytest>=8",
            "ruff>=0.5",
            "mypy>=1.10",
            "distributed>=2024.1",
            "selenium>=4.20",  # the results site's test in headless Chromium
        ],
    },
    entry_points={"console_scripts": ["cmhbench = cmhbench.cli:main"]},
)
