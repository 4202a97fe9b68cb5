"""Lint a rule catalog: never-matching rules, overlaps, empty and tiny segments, unknown columns.

Without data the checks are symbolic (syntax, never-matching rules, too many
segments, reference cycles). With data they add sizes: overlaps between
segments of an exclusive catalog with their counts, segments shadowed by
earlier ones, empty and tiny segments, and unknown columns with a "did you
mean" hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from segwise.exceptions import RuleError, RuleSyntaxError
from segwise.features.elapsed import blank_means_never
from segwise.lang import nodes
from segwise.lang.satisfiability import never_matches
from segwise.segmenters._input import as_lazy, is_frame
from segwise.segmenters.rules import RuleSegmenter

if TYPE_CHECKING:
    from segwise.segmenters.rule_catalog import RuleCatalog
    from segwise.segmenters.rule_preview import Preview

#: Beyond this many segments, teams rarely run a distinct campaign for each.
MAX_ACTIONABLE_SEGMENTS = 8

Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint finding: how bad, which segment, what kind, and the message."""

    level: Level
    segment: str | None
    kind: str
    message: str

    def line(self) -> str:
        """The finding as one line of text."""
        where = f"segment '{self.segment}': " if self.segment else ""
        return f"{self.level}: {where}{self.message}"


@dataclass(frozen=True, slots=True)
class RuleLint:
    """All findings for a catalog, and its preview when data was given."""

    catalog: str
    segments: int
    findings: tuple[Finding, ...]
    preview: Preview | None = None
    overlaps: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        """The findings that make the catalog unusable."""
        return [f for f in self.findings if f.level == "error"]

    @property
    def clean(self) -> bool:
        """True when there is nothing to report."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """Findings, sizes per condition and overlaps, as JSON-ready data."""
        preview = self.preview
        return {
            "catalog": self.catalog,
            "segments": self.segments,
            "clean": self.clean,
            "findings": [
                {"level": f.level, "segment": f.segment, "kind": f.kind, "message": f.message}
                for f in self.findings
            ],
            "customers": None if preview is None else preview.total,
            "other": None if preview is None else preview.other_count,
            "sizes": None if preview is None else preview.to_dict(),
            "overlaps": [
                {"first": a, "second": b, "customers": n} for (a, b), n in self.overlaps.items()
            ],
        }


def lint_rule_catalog(
    catalog: RuleCatalog,
    data: Any = None,
    *,
    id_col: str | None = None,
    events: Any = None,
    transactions: Any = None,
    as_of: Any = None,
    min_size: int | None = None,
    min_share: float | None = None,
) -> RuleLint:
    """Check a catalog, symbolically and (given ``data``) against a customer table.

    Parameters
    ----------
    catalog
        The catalog to check.
    data
        Customers (any frame or Dataset); adds sizes, overlaps, empty/tiny and unknown columns.
    min_size, min_share
        A segment below either is "tiny"; defaults are the catalog's ``min_size``/``min_share``.

    Raises
    ------
    RuleSyntaxError
        When a rule does not parse (nothing else can be checked then).

    Examples
    --------
    >>> from segwise.segmenters import RuleCatalog
    >>> catalog = RuleCatalog.from_dict({"segments": [
    ...     {"name": "Odd", "where": "age > 50 AND age < 40"}]})
    >>> print(lint_rule_catalog(catalog).findings[0].line())
    error: segment 'Odd': can never match: age > 50, age < 40 contradict each other
    """
    findings: list[Finding] = []
    rules = catalog.rules()  # syntax errors propagate: nothing else is meaningful then
    for name, rule in rules.items():
        conflict = never_matches(rule)
        if conflict is not None:
            what = (
                f"{', '.join(conflict)} contradict each other"
                if len(conflict) > 1
                else f"'{conflict[0]}' is never TRUE"
            )
            findings.append(Finding("error", name, "never-matches", f"can never match: {what}"))
    if len(catalog.segments) > MAX_ACTIONABLE_SEGMENTS:
        findings.append(
            Finding(
                "warning",
                None,
                "too-many-segments",
                f"{len(catalog.segments)} segments: more than {MAX_ACTIONABLE_SEGMENTS} are hard "
                "to act on (each needs its own message, offer and owner); merge the small or "
                "similar ones",
            )
        )
    if data is None:
        return RuleLint(catalog.name, len(catalog.segments), tuple(findings))
    return _lint_with_data(
        catalog,
        data,
        findings,
        id_col=id_col,
        events=events,
        transactions=transactions,
        as_of=as_of,
        min_size=catalog.min_size if min_size is None else min_size,
        min_share=catalog.min_share if min_share is None else min_share,
    )


def _lint_with_data(
    catalog: RuleCatalog,
    data: Any,
    findings: list[Finding],
    *,
    id_col: str | None,
    events: Any,
    transactions: Any,
    as_of: Any,
    min_size: int,
    min_share: float,
) -> RuleLint:
    usable = []
    rules = catalog.rules()
    for segment in catalog.segments:
        # Each segment with the segments it refers to, so one broken rule is reported alone.
        needed = _referenced(segment.name, rules)
        single = catalog.model_copy(
            update={"segments": [s for s in catalog.segments if s.name in needed]}
        )
        probe = RuleSegmenter(single, id_col=id_col, as_of=as_of)
        try:
            probe.preview(data, events=events, transactions=transactions)
        except RuleSyntaxError:
            raise
        except RuleError as exc:
            # in_segment() to a broken segment is reported on that segment, once.
            findings.append(
                Finding(
                    "error",
                    segment.name,
                    "invalid-rule",
                    f"{exc.description} at col {exc.col}{'; ' + exc.hint if exc.hint else ''}",
                )
            )
            continue
        usable.append(segment)
    checked = catalog.model_copy(update={"segments": usable})
    if not usable:
        return RuleLint(catalog.name, len(catalog.segments), tuple(findings))
    segmenter = RuleSegmenter(checked, id_col=id_col, as_of=as_of)
    preview = segmenter.preview(data, events=events, transactions=transactions)
    for size in preview.segments:
        kept = size.assigned if size.assigned is not None else size.matches
        if size.matches == 0:
            findings.append(Finding("warning", size.name, "empty", "matches no customer"))
        elif catalog.exclusive and kept == 0:
            findings.append(
                Finding(
                    "warning",
                    size.name,
                    "shadowed",
                    f"all {size.matches:,} of its matches go to earlier segments by priority",
                )
            )
        elif kept < min_size or size.share < min_share:
            limit = f"the minimum of {min_size:,}" if kept < min_size else f"{min_share:.1%}"
            findings.append(
                Finding(
                    "warning",
                    size.name,
                    "tiny",
                    f"only {kept:,} customers ({size.share:.2%}), below {limit}",
                )
            )
    overlaps: dict[tuple[str, str], int] = {}
    if catalog.exclusive and len(usable) > 1:
        overlaps = segmenter.overlaps(data, events=events, transactions=transactions)
        for (first, second), count in overlaps.items():
            if count:
                findings.append(
                    Finding(
                        "warning",
                        second,
                        "overlap",
                        f"overlaps '{first}' on {count:,} customers, who go to "
                        f"'{first}' (earlier by priority)",
                    )
                )
    if id_col is not None and is_frame(data) and may_leave_blanks_out(checked):
        table = as_lazy(data).collect(backend="polars").to_native()
        segmenter.fit(table.head(0), events=events, transactions=transactions)
        segmented = as_lazy(segmenter.segment(table, events=events, transactions=transactions))
        placed = segmented.collect(backend="polars").to_native()
        findings.extend(blanks_left_out(checked, table, placed, id_col=id_col))
    return RuleLint(catalog.name, len(catalog.segments), tuple(findings), preview, overlaps)


def blanks_left_out(
    catalog: RuleCatalog,
    features: pl.DataFrame,
    segmented: pl.DataFrame,
    *,
    id_col: str = "customer_id",
) -> list[Finding]:
    """Rules that leave out customers who never did the thing, when nothing else takes them.

    ``days_since_last_login > 90`` reads "inactive", but a customer who never
    logged in has a blank there, and a blank compares as false: they are not
    inactive, and if no other rule takes them (``orders = 0`` for never-buyers
    does) they fall to the rest unseen. ``segmented`` is
    :meth:`RuleSegmenter.segment`'s output. Of an exclusive catalog, any segment
    but the rest takes them; of audiences, only one whose rule reads the column
    (``days_since_last_login IS NULL``): being in "Families" does not answer
    whether they are quiet.

    Examples
    --------
    >>> from segwise.segmenters import RuleCatalog
    >>> catalog = RuleCatalog.from_dict({"segments": [
    ...     {"name": "Inactive", "where": "days_since_last_login > 90"}]})
    >>> features = pl.DataFrame({"customer_id": ["a", "b", "c"],
    ...                          "days_since_last_login": [120, 3, None]})
    >>> segmented = pl.DataFrame({"customer_id": ["a", "b", "c"],
    ...                           "segment": ["Inactive", "Other", "Other"]})
    >>> print(blanks_left_out(catalog, features, segmented)[0].line()[:79])
    warning: segment 'Inactive': days_since_last_login is blank for 1 customer (33%
    """
    findings = []
    total = max(features.height, 1)
    rules = catalog.rules()
    for name, rule in rules.items():
        for column in _compared_above(rule.root):
            if column not in features.columns:
                continue
            if catalog.exclusive:
                placed = segmented.filter(pl.col("segment") != catalog.other)[id_col]
            else:
                reading = [n for n, r in rules.items() if column in r.columns and n != name]
                held = pl.any_horizontal(reading) if reading else pl.lit(value=False)
                placed = segmented.filter(held)[id_col]
            blank = features.filter(pl.col(column).is_null()).select(id_col)
            left = blank.join(placed.alias(id_col).to_frame(), on=id_col, how="anti").height
            if left == 0 or left < 0.01 * total:
                continue
            rest = f"'{catalog.other}'" if catalog.exclusive else "no audience that reads it"
            findings.append(
                Finding(
                    "warning",
                    name,
                    "blanks-left-out",
                    f"{column} is blank for {blank.height:,} customer"
                    f"{'s' if blank.height != 1 else ''} ({blank.height / total:.0%}): a blank "
                    f"means never, and the rule leaves them out; {left:,} of them fall to "
                    f"{rest}. Add 'OR {column} IS NULL' if they belong here",
                )
            )
    return findings


def may_leave_blanks_out(catalog: RuleCatalog) -> bool:
    """Whether any rule compares a column where a blank means never with ``>`` (cheap check)."""
    return any(_compared_above(rule.root) for rule in catalog.rules().values())


def _compared_above(root: nodes.Node) -> list[str]:
    """Columns a blank means never for, compared ``> x`` (or ``x <``), with no ``IS NULL``."""
    nulls = {
        n.operand.name
        for n in root.walk()
        if isinstance(n, nodes.IsNull) and isinstance(n.operand, nodes.Column)
    }
    found: list[str] = []
    for node in root.walk():
        if not isinstance(node, nodes.Comparison):
            continue
        column = None
        if node.op in (">", ">=") and isinstance(node.left, nodes.Column):
            column = node.left.name
        elif node.op in ("<", "<=") and isinstance(node.right, nodes.Column):
            column = node.right.name
        if column and blank_means_never(column) and column not in nulls and column not in found:
            found.append(column)
    return found


def _referenced(name: str, rules: dict[str, Any]) -> set[str]:
    """``name`` and every segment its rule refers to, directly or not."""
    needed, stack = {name}, [name]
    while stack:
        rule = rules.get(stack.pop())
        for reference in rule.segment_refs if rule is not None else ():
            if reference.name not in needed:
                needed.add(reference.name)
                stack.append(reference.name)
    return needed
