"""JSON files: one object per line (JSON lines), one array of objects, or an API's response.

Event exports write JSON lines (Mixpanel, Segment, Amplitude, gzipped per hour); an API
dump or a hand export writes one array, or the response object that wraps it. All end in
``.json``, so the start decides: lines are scanned lazily; an array or a pretty-printed
object (which have no line to stream by) are read whole.
"""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from pathlib import Path

#: Rows read to settle each field's type, as for CSV columns.
INFER_ROWS = 10_000

#: The most keys an API's response holds beside the list of records it wraps.
_PAGING_KEYS = 5

#: What to check when a JSON file does not parse.
JSON_HINT = (
    "check the file: it should hold one JSON object per line (JSON lines) or one array of objects"
)


def scan_json(path: Path) -> pl.LazyFrame:
    """The file's records as a lazy frame (gzip read directly).

    Records wrapped in one object, as an API's response is (Shopify's ``{"orders": [...]}``,
    Stripe's ``{"object": "list", "data": [...]}``), are the records of its one list.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.json").write_text('[{"id": 1}, {"id": 2}]')
    >>> scan_json(folder / "a.json").collect()["id"].to_list()
    [1, 2]
    >>> _ = (folder / "b.json").write_text('{"orders": [{"id": 3}, {"id": 4}], "page": 1}')
    >>> scan_json(folder / "b.json").collect()["id"].to_list()
    [3, 4]
    """
    if _json_lines(_start(path)):
        lines = pl.scan_ndjson(path, infer_schema_length=INFER_ROWS)
        # Pages of an API saved one per line: each line is a wrapper of one list.
        schema = lines.collect_schema()
        listed = _record_lists(schema)
        return _unwrap(lines, listed[0]) if listed == list(schema) == listed[:1] else lines
    whole = pl.read_json(_bytes(path), infer_schema_length=INFER_ROWS)
    # A response beside its list holds a few keys of paging (Stripe's object, url,
    # has_more); one record holding a list (an order and its line items) holds many.
    wrapped = _record_lists(whole.schema) if whole.height == 1 else []
    if len(wrapped) == 1 and whole.width <= 1 + _PAGING_KEYS:
        return _unwrap(whole.lazy(), wrapped[0])
    return whole.lazy()


def _record_lists(schema: pl.Schema) -> list[str]:
    """The columns holding lists of records."""
    return [
        name
        for name, dtype in schema.items()
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct)
    ]


def _unwrap(frame: pl.LazyFrame, column: str) -> pl.LazyFrame:
    return frame.select(pl.col(column).explode()).unnest(column)


def _opener(path: Path) -> Any:
    return gzip.open if path.name.lower().endswith(".gz") else open


def _start(path: Path) -> bytes:
    with _opener(path)(path, "rb") as handle:
        return bytes(handle.read(1 << 16)).lstrip(b"\xef\xbb\xbf \t\r\n")


def _bytes(path: Path) -> bytes:
    with _opener(path)(path, "rb") as handle:
        return bytes(handle.read())


def _json_lines(start: bytes) -> bool:
    """Whether the file starts with a line that is a whole object and another line after it.

    One object alone (an API's response on one line) is read whole, as a pretty-printed
    one is, so that the list it wraps can be found.
    """
    first, _, rest = start.partition(b"\n")
    if not first.startswith(b"{") or not rest.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False
