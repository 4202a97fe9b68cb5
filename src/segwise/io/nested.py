"""Nested records read as columns: an event log's ``properties_distinct_id``.

Event exports (Mixpanel's, Segment's) write JSON lines whose fields sit inside objects:
``{"event": "Purchase", "properties": {"distinct_id": "u1", "time": 1704067200}}``.
Each field of a struct column becomes a column of its own, named by its path joined with
``_`` as Segment's and Fivetran's warehouse tables name them, so the roles can be
recognised by the field's own name (``properties_distinct_id`` is the customer, see
:func:`segwise.io.roles.detect_roles`), rules can name it, and the rows are quarantined
as flat CSV. Not joined with ``.``: Spark reads ``a.b`` as the field ``b`` of ``a``. It is
one select of struct-field expressions, on whichever engine holds the frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

if TYPE_CHECKING:
    from narwhals.dtypes import DType


@dataclass(frozen=True)
class Flattened:
    """A frame with its struct columns' fields as columns.

    Attributes
    ----------
    frame
        The frame, flattened.
    fields
        Each column made of a field, to that field's own name (``properties_time``: ``time``).
    notes
        What the quality report says (nothing where no struct was flattened).
    """

    frame: nw.LazyFrame[Any]
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def flatten_structs(frame: nw.LazyFrame[Any]) -> Flattened:
    """``frame`` with every struct column's fields as columns, named by their path.

    A struct whose flattened names would repeat a column's name, or each other, is kept
    whole.

    Examples
    --------
    >>> import polars as pl
    >>> log = pl.LazyFrame({"event": ["Purchase"], "properties": [{"id": "u1", "time": 5}]})
    >>> flat = flatten_structs(nw.from_native(log))
    >>> flat.frame.collect_schema().names(), flat.fields["properties_time"]
    (['event', 'properties_id', 'properties_time'], 'time')
    >>> flat.notes
    ["nested fields read as columns: 'properties' (2)"]
    """
    schema = frame.collect_schema()
    if not any(isinstance(dtype, nw.Struct) for dtype in schema.values()):
        return Flattened(frame)
    exprs: list[nw.Expr] = []
    produced: set[str] = set(schema)
    own_names: dict[str, str] = {}
    flattened: list[str] = []
    for column, dtype in schema.items():
        fields = _fields(nw.col(column), column, column, dtype)
        if not isinstance(dtype, nw.Struct):
            fields = []
        names = {name for name, _, _ in fields}
        # Kept whole where its names would repeat a column's, or each other's (a_b_c twice).
        if fields and len(names) == len(fields) and not names & produced:
            flattened.append(f"'{column}' ({len(fields)})")
            exprs += [expr.alias(name) for name, _, expr in fields]
            own_names |= {name: own for name, own, _ in fields}
            produced |= names
        else:
            exprs.append(nw.col(column))
    if not flattened:
        return Flattened(frame)
    notes = [f"nested fields read as columns: {', '.join(flattened)}"]
    return Flattened(frame.select(*exprs), own_names, notes)


def _fields(
    expr: nw.Expr, path: str, own: str, dtype: DType | type[DType]
) -> list[tuple[str, str, nw.Expr]]:
    """(column name, the field's own name, expression) of each field under ``expr``."""
    if not isinstance(dtype, nw.Struct):
        return [(path, own, expr)]
    return [
        found
        for f in dtype.fields
        for found in _fields(expr.struct.field(f.name), f"{path}_{f.name}", f.name, f.dtype)
    ]
