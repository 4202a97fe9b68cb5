"""The data-quality report: what was read, what was used, what was quarantined and why.

Two aggregate queries, both run inside the engine: one over every row (the
independent checks and the exclusions per reason), one over the rows used
(customers, date range, totals). The report always balances:
``rows_read == rows_used + rows_quarantined``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine import portable
from segwise.exceptions import DataError
from segwise.io import validate as v
from segwise.io.attribute_dates import stand_in_counts
from segwise.io.order_lines import ORDER_LINE_REASON
from segwise.io.order_status import VOID_ORDER_REASON
from segwise.io.reasons import REASONS
from segwise.io.refunds import partly_refunded
from segwise.io.roles import ROLE_OPTIONS

if TYPE_CHECKING:
    from datetime import datetime

#: Extra counts that are not exclusion reasons, with their meaning.
CHECKS: dict[str, str] = {
    "cancellations": "rows whose order id starts with the cancellation prefix",
    "negative_quantity": "rows with a negative quantity",
    "returns": "returns and cancellations (cancellation prefix, negative quantity or amount)",
    "duplicates": "exact duplicates of an earlier row",
    "non_product_codes": "rows whose product code is configured as not a product",
    "padded_customer_id": "customer ids with spaces around them (kept as written: fix the export "
    "or the ids will not match other tables)",
    "erased": "rows of customers erased with segwise forget (left out before every check)",
    "stand_in_dates": "dates written for no date (1900-01-01, 1970-01-01, 0000-00-00…) in the "
    "table's date columns: read as blank",
}


@dataclass(frozen=True)
class QualityReport:
    """Counts that describe one ingested source.

    Attributes
    ----------
    source, kind
        Where the rows came from and what they are.
    rows_read, rows_used, rows_quarantined
        ``rows_read == rows_used + rows_quarantined``, always.
    excluded
        Reason -> rows quarantined for it (each row counts once, under its
        first reason), for every reason the policy excludes.
    first_excluded_row
        Reason -> the first row quarantined for it (1-based, header not counted).
    checks
        Independent counts over every row, whether or not the policy excludes
        them: ``missing_customer_id``, ``cancellations``, ``duplicates``, ...
    customers
        Distinct customer ids among the rows used.
    first_timestamp, last_timestamp
        Date range of the rows used.
    total_amount, returns_kept
        Net amount of the rows used, and how many of them are returns.
    columns, policy, timestamp_format, as_of, notes
        How the source was read.
    """

    source: str
    kind: str
    rows_read: int
    rows_used: int
    rows_quarantined: int
    excluded: dict[str, int]
    first_excluded_row: dict[str, int]
    checks: dict[str, int]
    customers: int
    first_timestamp: datetime | None
    last_timestamp: datetime | None
    total_amount: float | None
    returns_kept: int | None
    columns: dict[str, str]
    policy: dict[str, Any]
    timestamp_format: str | None = None
    as_of: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """Whether every row read is either used or quarantined (it always is)."""
        return self.rows_read == self.rows_used + self.rows_quarantined

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (timestamps as ISO text)."""
        data = asdict(self)
        for key in ("first_timestamp", "last_timestamp"):
            if data[key] is not None:
                data[key] = data[key].isoformat(sep=" ")
        data["balanced"] = self.balanced
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the report as JSON text.

        Examples
        --------
        >>> import polars as pl, segwise as sw
        >>> frame = pl.DataFrame({"customer_id": ["1", None], "date": ["2024-01-02", "2024-01-03"],
        ...                       "amount": [9.5, 3.0]})
        >>> report = sw.read_transactions(frame).quality()
        >>> json.loads(report.to_json())["excluded"]["missing_customer_id"]
        1
        """
        return json.dumps(self.to_dict(), indent=indent, default=str)


def _count(test: nw.Expr) -> nw.Expr:
    # Spark cannot sum booleans: cast first.
    return test.fill_null(value=False).cast(nw.Int64).sum()


def _check_expressions(plan: v.Plan) -> dict[str, nw.Expr]:
    checks = {
        f"check:{name}": _count(test)
        for name, test in v.reason_tests(plan, duplicates=False).items()
        if name
        not in {
            "return",
            "non_product_code",
            "duplicate_customer_id",
            "duplicate_account_id",
            ORDER_LINE_REASON,  # a part of missing_amount's count
            VOID_ORDER_REASON,  # its count is the exclusion's
        }
    }
    if plan.roles.kind in v.ONE_ROW_PER_ID:
        key = "account_id" if plan.roles.kind == "accounts" else "customer_id"
        checks[f"check:duplicate_{key}"] = _count(nw.col(v.DUPLICATE_ID))
    if plan.id_dtype == nw.String:
        padded = nw.col(v.CUSTOMER).str.strip_chars() != nw.col(v.CUSTOMER)
        checks["check:padded_customer_id"] = _count(padded)
    if plan.roles.kind in v.ONE_ROW_PER_ID:
        stand_ins = stand_in_counts(plan.attribute_dates)
        checks |= {f"stand_in:{column}": count for column, count in stand_ins.items()}
    if plan.roles.kind == "transactions":
        checks["check:cancellations"] = _count(nw.col(v.CANCELLATION))
        if plan.roles.get("refunded_amount") is not None:
            checks["check:partly_refunded"] = _count(partly_refunded(v.AMOUNT))
        checks["check:returns"] = _count(nw.col(v.RETURN))
        if plan.roles.get("quantity") is not None:
            checks["check:negative_quantity"] = _count(nw.col(v.QUANTITY) < 0)
        if plan.policy.non_product_codes and plan.roles.get("product") is not None:
            checks["check:non_product_codes"] = _count(nw.col(v.NON_PRODUCT))
    return checks


def _used_expressions(plan: v.Plan) -> dict[str, nw.Expr]:
    """Statistics of the rows used, computed in the same pass as the counts."""
    used = nw.col(v.REASON).is_null()
    exprs = {
        "used:rows_used": _count(used),
        "used:customers": nw.when(used).then(nw.col(v.CUSTOMER)).n_unique(),
    }
    if plan.roles.get("timestamp") is not None:
        exprs["used:first"] = nw.when(used).then(nw.col(v.TIMESTAMP)).min()
        exprs["used:last"] = nw.when(used).then(nw.col(v.TIMESTAMP)).max()
    if plan.roles.kind == "transactions":
        exprs["used:total"] = nw.when(used).then(nw.col(v.AMOUNT)).sum()
        exprs["used:returns_kept"] = _count(used & nw.col(v.RETURN))
    return exprs


def _scalar_row(frame: nw.LazyFrame[Any], exprs: dict[str, nw.Expr]) -> dict[str, Any]:
    return portable.collect_one_row(
        frame.select(*[expr.alias(name) for name, expr in exprs.items()])
    )


def compute_report(
    annotated: nw.LazyFrame[Any],
    plan: v.Plan,
    *,
    source: str,
    timestamp_format: str | None,
    as_of: str | None,
    notes: list[str],
) -> QualityReport:
    """Run the report over an annotated frame (see :func:`validate.annotate`).

    One pass computes every count and the statistics of the rows used; a
    second counts distinct rows for the duplicate check.

    Raises
    ------
    DataError
        The source has no data rows, or no row can be used: the message names
        the column, the first bad row and its value, and what to do.
    """
    with_duplicates = plan.policy.duplicates == "drop"
    reasons = list(v.exclusion_tests(plan, duplicates=with_duplicates))
    exprs: dict[str, nw.Expr] = {"rows_read": nw.len()}
    for reason in reasons:
        exprs[f"excluded:{reason}"] = _count(nw.col(v.REASON) == reason)
        exprs[f"first:{reason}"] = nw.when(nw.col(v.REASON) == reason).then(nw.col(v.ROW)).min()
    exprs.update(_check_expressions(plan))
    exprs.update(_used_expressions(plan))
    totals = _scalar_row(annotated, exprs)
    rows_read = int(totals["rows_read"])
    if rows_read == 0:
        raise DataError(
            "there are no data rows (only a header)",
            hint="export the table again with its rows",
            source=source,
        )
    excluded = {r: int(totals[f"excluded:{r}"] or 0) for r in reasons}
    first_rows = {r: int(totals[f"first:{r}"]) for r in reasons if totals[f"first:{r}"] is not None}
    checks = {
        k.split(":", 1)[1]: int(val or 0) for k, val in totals.items() if k.startswith("check:")
    }
    stand_ins = {
        k.split(":", 1)[1]: int(n or 0) for k, n in totals.items() if k.startswith("stand_in:")
    }
    if plan.roles.kind in v.ONE_ROW_PER_ID:
        checks["stand_in_dates"] = sum(stand_ins.values())
    notes = notes + _money_notes(plan, excluded, checks)
    if lines := excluded.get(ORDER_LINE_REASON):
        notes = [*notes, _order_lines_note(lines, plan)]
    notes = notes + [
        f"column '{column}': {n:,} date(s) written for no date (1900-01-01, 1970-01-01, "
        "0000-00-00…): read as blank"
        for column, n in stand_ins.items()
        if n
    ]
    quarantined = sum(excluded.values())
    if rows_read == quarantined:
        raise _nothing_usable(annotated, plan, excluded, first_rows, source)
    checks["duplicates"] = rows_read - portable.count_distinct_rows(
        annotated, list(plan.raw_columns)
    )
    # n_unique counts NULL as a value on every engine; excluded rows are NULL here.
    customers = int(totals["used:customers"]) - (1 if quarantined else 0)
    summary = {k.split(":", 1)[1]: val for k, val in totals.items() if k.startswith("used:")}
    report = QualityReport(
        source=source,
        kind=plan.roles.kind,
        rows_read=rows_read,
        rows_used=int(summary["rows_used"]),
        rows_quarantined=quarantined,
        excluded=excluded,
        first_excluded_row=first_rows,
        checks=checks,
        customers=customers,
        first_timestamp=summary.get("first"),
        last_timestamp=summary.get("last"),
        total_amount=float(summary["total"]) if summary.get("total") is not None else None,
        returns_kept=int(summary["returns_kept"]) if "returns_kept" in summary else None,
        columns=dict(plan.roles.columns),
        policy=plan.policy.describe(plan.roles.kind),
        timestamp_format=timestamp_format,
        as_of=as_of,
        notes=notes,
    )
    if not report.balanced:  # pragma: no cover - an invariant, not a user error
        msg = f"report does not balance: {rows_read} != {report.rows_used} + {quarantined}"
        raise AssertionError(msg)
    return report


_REASON_COLUMN = {
    "missing_customer_id": "customer_id",
    "missing_account_id": "customer_id",
    "missing_timestamp": "timestamp",
    "unparseable_timestamp": "timestamp",
    "placeholder_timestamp": "timestamp",
    "missing_event": "event",
    VOID_ORDER_REASON: "order_status",
    "non_numeric_refund": "refunded_amount",
    ORDER_LINE_REASON: "amount",
    "missing_amount": "amount",
    "other_currency": "amount",
    "non_numeric_amount": "amount",
    "non_numeric_quantity": "quantity",
    "non_numeric_price": "unit_price",
    "zero_or_negative_price": "unit_price",
    "zero_quantity": "quantity",
    "after_as_of": "timestamp",
}

_REASON_HINT = {
    "extra_fields": "quote the values that hold the delimiter, or pass --delimiter",
    "missing_customer_id": "check that {option} names the customer id column",
    "missing_account_id": "check that account_id: names the account id column",
    "missing_timestamp": "check that {option} names the date column",
    "unparseable_timestamp": "pass the pattern with --date-format (timestamp_format= in Python), "
    "e.g. '%d/%m/%Y %H:%M'",
    "placeholder_timestamp": "these rows' real dates are unknown: export them again from the "
    "system that recorded them",
    "missing_event": "check that {option} names the event column",
    VOID_ORDER_REASON: "a cancelled, refunded, failed or voided order is no purchase; check "
    "that {option} names the order's status",
    "missing_amount": "check that {option} names the amount column",
    "other_currency": "convert the amounts to one currency before reading them, or name a "
    "column that holds them converted (--amount-col)",
    "non_numeric_amount": "check that {option} names the money column; amounts must be "
    "numbers like 12.50 or £1,254.50, in one convention in a column",
    "non_numeric_refund": "check that {option} names the refunded amount column",
    "non_numeric_quantity": "check that {option} names the quantity column",
    "non_numeric_price": "check that {option} names the unit price column",
    "zero_or_negative_price": "check {option}, or keep such rows with --non-positive-price keep",
    "zero_quantity": "check that {option} names the quantity column",
    "after_as_of": "pass a later --as-of date",
}


def _money_notes(plan: v.Plan, excluded: dict[str, int], checks: dict[str, int]) -> list[str]:
    """What the report says of void orders and refunds, where the source has either."""
    status, refund = plan.roles.get("order_status"), plan.roles.get("refunded_amount")
    said = [f"'{status}' says cancelled, refunded, failed or voided"] if status else []
    said += [f"'{refund}' is their whole amount"] if refund else []
    notes = []
    if voids := excluded.get(VOID_ORDER_REASON):
        notes.append(
            f"{voids:,} row(s) of orders whose {' or whose '.join(said)}: quarantined as "
            "void_order (no money came in)"
        )
    if partly := checks.get("partly_refunded"):
        notes.append(f"{partly:,} row(s) partly refunded: read less their '{refund}'")
    return notes


def _order_lines_note(lines: int, plan: v.Plan) -> str:
    order, amount = plan.roles.get("order_id"), plan.roles.get("amount")
    return (
        f"{lines:,} row(s) are further lines of an order whose '{amount}' is on another of its "
        f"rows (same '{order}'): each order counts once, with that amount; their line items "
        "are not read (to read every line instead, name its quantity and price: "
        "--quantity-col and --price-col, quantity= and unit_price= in Python)"
    )


def _nothing_usable(
    annotated: nw.LazyFrame[Any],
    plan: v.Plan,
    excluded: dict[str, int],
    first_rows: dict[str, int],
    source: str,
) -> DataError:
    top = max(excluded, key=lambda reason: excluded[reason])
    role = _REASON_COLUMN.get(top)
    column = plan.roles.get(role) if role else None
    total = sum(excluded.values())
    what = REASONS[top]
    if column is None:
        breakdown = ", ".join(f"{n} {r}" for r, n in excluded.items() if n)
        return DataError(
            f"no row can be used: all {total} rows are excluded ({breakdown})",
            hint="see the policy options (--returns, --duplicates, --policy)",
            source=source,
        )
    row = first_rows.get(top)
    value = None
    if row is not None:
        found = annotated.filter(nw.col(v.ROW) == row).select(nw.col(column)).collect()
        value = found.item(0, 0) if len(found) else None
    shown = f" (row {row}: {value!r})" if value is not None else ""
    option = ROLE_OPTIONS[role][0] if role in ROLE_OPTIONS else "--help"
    count = "every row" if excluded[top] == total else f"{excluded[top]} of {total} rows"
    return DataError(
        f"no row can be used: {count}: {what}{shown}",
        hint=_REASON_HINT.get(top, "check the column").format(option=option),
        source=source,
        column=column,
    )


def erased_noted(report: QualityReport, rows: int) -> QualityReport:
    """``report`` with ``rows`` left out for erased customers counted and said."""
    note = (
        f"{rows:,} {'row' if rows == 1 else 'rows'} of erased customers left out "
        "(segwise forget); remove them from the "
        "source to stop this"
    )
    return replace(report, checks={**report.checks, "erased": rows}, notes=[*report.notes, note])
