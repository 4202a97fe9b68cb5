"""What a file holds, by its name: Parquet, Excel, JSON, a database, or delimited text."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

PARQUET = (".parquet", ".pq")
EXCEL = (".xlsx", ".xlsm", ".xls")
JSON_LINES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
DUCKDB = (".duckdb", ".ddb")
SQLITE = (".sqlite", ".sqlite3", ".db")
#: Delimited text, which is also what a file of any other name is read as.
TEXT = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")

#: Every suffix a reader takes by name.
DATA_FILES = (*PARQUET, *EXCEL, *JSON_LINES, *DUCKDB, *SQLITE, *TEXT)

_DOUBLE = (".jsonl.gz", ".ndjson.gz", ".json.gz", ".csv.gz", ".tsv.gz", ".txt.gz")


def file_suffix(path: Path) -> str:
    """The file's kind-giving suffix, lower case: ``.csv.gz`` counts as one.

    Examples
    --------
    >>> from pathlib import Path
    >>> [file_suffix(Path(name)) for name in ("Orders.CSV.gz", "events.json", "README")]
    ['.csv.gz', '.json', '']
    """
    name = path.name.lower()
    return next((double for double in _DOUBLE if name.endswith(double)), path.suffix.lower())
