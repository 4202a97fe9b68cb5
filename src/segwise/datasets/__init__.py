"""Sample data: a bundled retailer of 5,000 customers, its generator, a survey and a B2B seller.

Examples
--------
>>> from segwise import datasets
>>> sorted(datasets.sample_paths())
['customers', 'events', 'orders']
"""

from __future__ import annotations

import gzip
from importlib.resources import files
from pathlib import Path

from segwise.datasets.b2b import B2BData, generate_b2b, write_b2b
from segwise.datasets.retail import PERSONAS, RetailData, generate_retailer, write_retailer
from segwise.datasets.survey import SurveyData, planted_survey, survey_of_retailer

#: The generator arguments the bundled sample was made with (``python -m segwise.datasets``).
SAMPLE_ARGS = {"n_customers": 5_000, "seed": 2024, "messy": True}
_FILES = {"customers": "customers.csv.gz", "orders": "orders.csv.gz", "events": "events.parquet"}


def sample_paths() -> dict[str, Path]:
    """Return the paths of the bundled sample retailer's files.

    ``orders`` is a CSV export with the faults real exports have (a few
    missing ids, unreadable dates and amounts, duplicate rows, returns);
    ``customers`` is a CRM export; ``events`` is a Parquet event log.
    """
    root = Path(str(files("segwise.datasets") / "data"))
    return {name: root / filename for name, filename in _FILES.items()}


def write_sample(directory: Path) -> dict[str, Path]:
    """Regenerate the bundled sample files into ``directory``."""
    data = generate_retailer(**SAMPLE_ARGS)  # type: ignore[arg-type]
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / filename for name, filename in _FILES.items()}
    for name in ("customers", "orders"):
        with (
            paths[name].open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as handle,
        ):
            getattr(data, name).write_csv(handle)
    data.events.write_parquet(paths["events"], compression="zstd", compression_level=19)
    return paths


__all__ = [
    "PERSONAS",
    "B2BData",
    "RetailData",
    "SurveyData",
    "generate_b2b",
    "generate_retailer",
    "planted_survey",
    "sample_paths",
    "survey_of_retailer",
    "write_b2b",
    "write_retailer",
    "write_sample",
]
