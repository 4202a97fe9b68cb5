"""JSON files: one object per line (JSON lines), or one array of objects.

Event exports write JSON lines (Mixpanel, Segment, Amplitude, gzipped per hour); an API
dump or a hand export writes one array. Both end in ``.json``, so the first character
decides: lines are scanned lazily, an array (which has no line to stream by) is read whole.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pathlib import Path

#: Rows read to settle each field's type, as for CSV columns.
INFER_ROWS = 10_000

#: What to check when a JSON file does not parse.
JSON_HINT = (
    "check the file: it should hold one JSON object per line (JSON lines) or one array of objects"
)


def scan_json(path: Path) -> pl.LazyFrame:
    """The file's records as a lazy frame (gzip read directly).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.json").write_text('[{"id": 1}, {"id": 2}]')
    >>> scan_json(folder / "a.json").collect()["id"].to_list()
    [1, 2]
    """
    if not _holds_an_array(path):
        return pl.scan_ndjson(path, infer_schema_length=INFER_ROWS)
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            return pl.read_json(handle.read(), infer_schema_length=INFER_ROWS).lazy()
    return pl.read_json(path, infer_schema_length=INFER_ROWS).lazy()


def _holds_an_array(path: Path) -> bool:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"[")
