"""The column types Polars infers for a CSV file, dates included, at a fraction of the cost.

Polars' date inference (``try_parse_dates``) tries each of its date patterns on every
value it reads, and a value that is no date fails them all: 0.52 s for the demo's
5,000-row customer export with fifteen text columns (about 7 µs a value), where inferring
without dates takes 0.04 s (``benchmarks/bench_csv_types.py``). A column is a date only
if every value in the inference rows is one (a single other value makes it text), so a
few of each text column's values rule most columns out, and only the rest are inferred
on all the rows.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pathlib import Path

INFERENCE_ROWS = 10_000
"""Rows read to infer the types (Polars' ``infer_schema_length``)."""

_PROBE_VALUES = 20


def infer_csv_types(
    source: str | Path | bytes, *, separator: str = ",", skip_rows: int = 0
) -> dict[str, pl.DataType]:
    r"""The types ``pl.scan_csv(..., try_parse_dates=True)`` infers from the first rows.

    The same answer as Polars' own inference over :data:`INFERENCE_ROWS` rows: the file is
    inferred without dates; of the columns left as text, the first non-empty values are
    inferred with dates, and only the columns they do not rule out are inferred with dates
    on all the rows. Polars' errors (an unclosed quote, say) are raised as Polars raises them.

    Examples
    --------
    >>> text = b"id,joined,city\n1,2024-01-31,Leeds\n2,2024-02-29,York\n"
    >>> {name: str(dtype) for name, dtype in infer_csv_types(text).items()}
    {'id': 'Int64', 'joined': 'Date', 'city': 'String'}
    """
    plain = pl.scan_csv(
        source,
        separator=separator,
        skip_rows=skip_rows,
        infer_schema_length=INFERENCE_ROWS,
        try_parse_dates=False,
        # A row wider than the header is quarantined when the rows are read.
        truncate_ragged_lines=True,
    ).collect_schema()
    texts = [name for name, dtype in plain.items() if dtype == pl.String]
    if not texts:
        return dict(plain)
    rows = (
        pl.scan_csv(
            source,
            separator=separator,
            skip_rows=skip_rows,
            infer_schema=False,
            n_rows=INFERENCE_ROWS,
            # Polars' inference reads a broken line's fields as far as they go; the row
            # itself is quarantined, with its number, when the rows are read.
            truncate_ragged_lines=True,
        )
        .select(texts)
        .collect()
    )
    probes = {name: rows[name].drop_nulls().head(_PROBE_VALUES).to_list() for name in texts}
    longest = max(len(values) for values in probes.values())
    probe_table = pl.DataFrame(
        {name: values + [None] * (longest - len(values)) for name, values in probes.items()},
        schema=dict.fromkeys(texts, pl.String),
    )
    maybe_dates = [name for name, dtype in _with_dates(probe_table).items() if dtype.is_temporal()]
    types = dict(plain)
    if maybe_dates:
        types.update(_with_dates(rows.select(maybe_dates)))
    return types


def _with_dates(table: pl.DataFrame) -> dict[str, pl.DataType]:
    """Polars' inference, dates included, over every row of a table of text."""
    buffer = io.BytesIO()
    table.write_csv(buffer)
    return dict(
        pl.scan_csv(buffer.getvalue(), infer_schema_length=None, try_parse_dates=True)
        .collect_schema()
        .items()
    )
