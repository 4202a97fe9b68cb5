"""Size preview of a rule catalog: every segment, every condition alone and cumulatively.

Everything is one aggregation (``select`` of sums) over the customer table,
so the preview of a whole catalog on a million customers takes a fraction of
a second: fast enough for an editor to refresh on every keystroke.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.portable import collect_one_row

if TYPE_CHECKING:
    from collections.abc import Mapping

    from segwise.lang.compiler import RuleCompiler
    from segwise.lang.parser import Rule
    from segwise.segmenters.rule_catalog import RuleCatalog


@dataclass(frozen=True, slots=True)
class ConditionSize:
    """How many customers pass one top-level condition alone, and it with all before it."""

    text: str
    alone: int
    cumulative: int


@dataclass(frozen=True, slots=True)
class SegmentSize:
    """One segment's size: rule matches, and (exclusive catalogs) customers it keeps."""

    name: str
    matches: int
    assigned: int | None
    share: float
    conditions: tuple[ConditionSize, ...]


@dataclass(frozen=True, slots=True)
class Preview:
    """The preview of a catalog on one table.

    ``share`` is of all customers: the assigned count for exclusive catalogs,
    the match count for overlapping ones.
    """

    total: int
    exclusive: bool
    other: str
    other_count: int | None
    segments: tuple[SegmentSize, ...]

    def to_dict(self) -> list[dict[str, Any]]:
        """Each segment's size and its conditions' counts, as JSON-ready data."""
        return [
            {
                "segment": s.name,
                "matches": s.matches,
                "assigned": s.assigned,
                "share": s.share,
                "conditions": [
                    {"condition": c.text, "alone": c.alone, "cumulative": c.cumulative}
                    for c in s.conditions
                ],
            }
            for s in self.segments
        ]

    def to_frame(self) -> pl.DataFrame:
        """One row per segment and condition: ``segment, condition, alone, cumulative, ...``."""
        rows = []
        for segment in self.segments:
            for position, condition in enumerate(segment.conditions, start=1):
                rows.append(
                    {
                        "segment": segment.name,
                        "matches": segment.matches,
                        "assigned": segment.assigned,
                        "share": segment.share,
                        "position": position,
                        "condition": condition.text,
                        "alone": condition.alone,
                        "cumulative": condition.cumulative,
                    }
                )
        return pl.DataFrame(
            rows,
            schema={
                "segment": pl.String,
                "matches": pl.Int64,
                "assigned": pl.Int64,
                "share": pl.Float64,
                "position": pl.Int64,
                "condition": pl.String,
                "alone": pl.Int64,
                "cumulative": pl.Int64,
            },
        )

    def sizes(self) -> dict[str, int]:
        """Segment name → size (assigned for exclusive catalogs, matches otherwise)."""
        out = {s.name: (s.assigned if s.assigned is not None else s.matches) for s in self.segments}
        if self.other_count is not None:
            out[self.other] = self.other_count
        return out


def pair_overlaps(
    names: list[str], frame: nw.LazyFrame[Any], conditions: Mapping[str, nw.Expr]
) -> dict[tuple[str, str], int]:
    """Customers matching both rules, for every pair of segments in priority order, in one pass."""
    pairs = list(combinations(names, 2))
    exprs = [
        _count(conditions[a].fill_null(value=False) & conditions[b].fill_null(value=False)).alias(
            f"p{k}"
        )
        for k, (a, b) in enumerate(pairs)
    ]
    if not exprs:
        return {}
    row = collect_one_row(frame.select(exprs))
    return {pair: int(row[f"p{k}"] or 0) for k, pair in enumerate(pairs)}


def first_match(choices: list[tuple[nw.Expr, nw.Expr]], otherwise: nw.Expr) -> nw.Expr:
    """The value of the first TRUE condition (NULL counts as FALSE), else ``otherwise``.

    A flat COALESCE over ``CASE WHEN c THEN v END`` terms rather than nested
    ``when/then/otherwise``: the nesting grew one level per choice, and a
    250-segment catalog overflowed the stack.

    Examples
    --------
    >>> frame = nw.from_native(pl.DataFrame({"x": [1, 5, None]}))
    >>> label = first_match([(nw.col("x") > 3, nw.lit("big")), (nw.col("x") > 0, nw.lit("small"))],
    ...                     nw.lit("none"))
    >>> frame.select(label.alias("size"))["size"].to_list()
    ['small', 'big', 'none']
    """
    terms = [nw.when(condition.fill_null(value=False)).then(value) for condition, value in choices]
    return nw.coalesce(*terms, otherwise) if terms else otherwise


def _sum(column: str) -> nw.Expr:
    return nw.col(column).cast(nw.Int64()).sum()


def _count(condition: nw.Expr) -> nw.Expr:
    return condition.fill_null(value=False).cast(nw.Int64()).sum()


def preview(
    catalog: RuleCatalog,
    frame: nw.LazyFrame[Any],
    compiler: RuleCompiler,
    rules: Mapping[str, Rule],
    conditions: Mapping[str, nw.Expr],
) -> Preview:
    """Compute a :class:`Preview` in one pass over ``frame`` (see ``RuleSegmenter.preview``).

    Each condition is evaluated once into a boolean column; the running ANDs,
    memberships and the exclusive labels are built from those columns, so the
    cost grows with the number of conditions, not with their combinations.
    """
    columns: list[nw.Expr] = []
    exprs: list[nw.Expr] = [nw.len().alias("__total")]
    texts: dict[str, list[str]] = {}
    ordered = catalog.ordered()
    for index, segment in enumerate(ordered):
        rule = rules.get(segment.name)
        parts = rule.conditions if rule is not None else ()
        texts[segment.name] = [rule.text_of(p) for p in parts] if rule is not None else []
        member = f"__m{index}"
        if rule is None:  # a static segment: one condition, its membership
            columns.append(conditions[segment.name].fill_null(value=False).alias(member))
        for position, part in enumerate(parts):
            alone, cumulative = f"__a{index}_{position}", f"__c{index}_{position}"
            expr = compiler.node(rule, part).expr  # type: ignore[arg-type]
            columns.append(expr.fill_null(value=False).alias(alone))
            exprs.append(_sum(alone).alias(f"a{index}_{position}"))
            exprs.append(_sum(cumulative).alias(f"c{index}_{position}"))
        exprs.append(_sum(member).alias(f"m{index}"))
    frame = frame.with_columns(columns)
    # How far each customer gets through a rule's conditions: the position of the first
    # FALSE one (or the count, when all hold). "Passes the first k" is then "got past
    # k - 1": linear in the number of conditions, where running ANDs rebuilt every prefix.
    reached: list[nw.Expr] = []
    for index, segment in enumerate(ordered):
        count = len(texts[segment.name])
        if count:
            reached.append(
                first_match(
                    [
                        (~nw.col(f"__a{index}_{p}"), nw.lit(p, dtype=nw.Int64()))
                        for p in range(count)
                    ],
                    nw.lit(count, dtype=nw.Int64()),
                ).alias(f"__r{index}")
            )
    frame = frame.with_columns(reached) if reached else frame
    passed = [
        (nw.col(f"__r{i}") > p).alias(f"__c{i}_{p}")
        for i, s in enumerate(ordered)
        for p in range(len(texts[s.name]))
    ]
    members = [
        (nw.col(f"__r{i}") == len(texts[s.name])).alias(f"__m{i}")
        for i, s in enumerate(ordered)
        if texts[s.name]
    ]
    frame = frame.with_columns(*passed, *members) if passed else frame
    if catalog.exclusive:
        label = first_match(
            [(nw.col(f"__m{i}"), nw.lit(i, dtype=nw.Int64())) for i in range(len(ordered))],
            nw.lit(-1, dtype=nw.Int64()),
        )
        frame = frame.with_columns(label.alias("__label"))
        exprs.extend(_count(nw.col("__label") == i).alias(f"s{i}") for i in range(len(ordered)))
        exprs.append(_count(nw.col("__label") == -1).alias("other"))
    row = collect_one_row(frame.select(exprs))
    total = int(row["__total"] or 0)
    sizes = []
    for index, segment in enumerate(ordered):
        condition_sizes = tuple(
            ConditionSize(text, int(row[f"a{index}_{p}"] or 0), int(row[f"c{index}_{p}"] or 0))
            for p, text in enumerate(texts[segment.name])
        )
        matches = int(row[f"m{index}"] or 0)
        assigned = int(row[f"s{index}"] or 0) if catalog.exclusive else None
        size = assigned if assigned is not None else matches
        sizes.append(
            SegmentSize(
                segment.name, matches, assigned, size / total if total else 0.0, condition_sizes
            )
        )
    other = int(row["other"] or 0) if catalog.exclusive else None
    return Preview(total, catalog.exclusive, catalog.other, other, tuple(sizes))
