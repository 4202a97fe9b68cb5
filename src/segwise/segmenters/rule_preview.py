"""Size preview of a rule catalog: every segment, every condition alone and cumulatively.

Everything is one aggregation (``select`` of sums) over the customer table,
so the preview of a whole catalog on a million customers takes a fraction of
a second: fast enough for an editor to refresh on every keystroke.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _count(condition: nw.Expr) -> nw.Expr:
    return condition.fill_null(value=False).cast(nw.Int64()).sum()


def preview(
    catalog: RuleCatalog,
    frame: nw.LazyFrame[Any],
    compiler: RuleCompiler,
    rules: Mapping[str, Rule],
    conditions: Mapping[str, nw.Expr],
    labels: nw.Expr,
) -> Preview:
    """Compute a :class:`Preview` in one pass over ``frame`` (see ``RuleSegmenter.preview``)."""
    label = "__segwise_label"
    exprs: list[nw.Expr] = [nw.len().alias("__total")]
    texts: dict[str, list[str]] = {}
    ordered = catalog.ordered()
    for index, segment in enumerate(ordered):
        rule = rules.get(segment.name)
        parts = rule.conditions if rule is not None else ()
        texts[segment.name] = [rule.text_of(p) for p in parts] if rule is not None else []
        running: nw.Expr | None = None
        for position, part in enumerate(parts):
            expr = compiler.node(rule, part).expr  # type: ignore[arg-type]
            running = expr if running is None else running & expr
            exprs.append(_count(expr).alias(f"a{index}_{position}"))
            exprs.append(_count(running).alias(f"c{index}_{position}"))
        exprs.append(_count(conditions[segment.name]).alias(f"m{index}"))
        if catalog.exclusive:
            exprs.append(_count(nw.col(label) == index).alias(f"s{index}"))
    if catalog.exclusive:
        exprs.append(_count(nw.col(label) == -1).alias("other"))
        frame = frame.with_columns(labels.alias(label))
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
