"""An ingested input: clean rows, quarantined rows and the quality report, all lazy."""

from __future__ import annotations

import copy
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.engine import portable
from segwise.engine.frames import from_lazy
from segwise.io import ids
from segwise.io import validate as v
from segwise.io.attribute_dates import attribute_date
from segwise.io.currency_column import iso_code
from segwise.io.header_units import header_currency
from segwise.io.money import currency_code
from segwise.io.quality import QualityReport, compute_report, erased_noted
from segwise.io.reasons import REASONS
from segwise.io.sources import EXTRA_FIELDS, reading
from segwise.io.writers import write_table

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    import polars as pl

    from segwise._typing import InputKind, StrPath

_PARSED = {
    "customer_id": v.CUSTOMER,
    "timestamp": v.TIMESTAMP,
    "event": v.EVENT,
    "amount": v.AMOUNT,
    "quantity": v.QUANTITY,
    "unit_price": v.PRICE,
    "question": v.QUESTION,
    "answer": v.ANSWER,
    "experiment": v.EXPERIMENT,
    "variant": v.VARIANT,
    "metric": v.METRIC,
    "value": v.VALUE,
    "purpose": v.PURPOSE,
    "status": v.STATUS,
    "expires": v.EXPIRES,
}


class Dataset:
    """Customers, transactions or events read from one source, checked and cleaned.

    Nothing is read until asked: :attr:`data` and :meth:`quarantine` are lazy
    frames on the source's engine, and :meth:`quality` runs the report once
    and keeps it.

    Attributes
    ----------
    kind
        ``transactions``, ``customers`` or ``events``.
    source
        The path, URL or frame description the rows came from.
    roles
        The column behind each role.
    policy
        The cleaning policy applied.

    Examples
    --------
    >>> import polars as pl, segwise as sw
    >>> orders = pl.DataFrame({"CustomerID": ["00042", "00042", None],
    ...                        "InvoiceDate": ["2024-01-02", "2024-02-03", "2024-02-04"],
    ...                        "Quantity": [2, -1, 5], "UnitPrice": [5.0, 5.0, 1.0]})
    >>> ds = sw.read_transactions(orders)
    >>> ds.to_native()["customer_id"].to_list()
    ['00042', '00042']
    >>> ds.quality().excluded["missing_customer_id"], ds.quality().checks["returns"]
    (1, 1)
    """

    def __init__(
        self,
        *,
        kind: InputKind,
        source: str,
        raw: nw.LazyFrame[Any],
        plan: v.Plan,
        like: str,
        as_of: str | None,
        notes: list[str],
        unchanged: Callable[[], None] | None = None,
    ) -> None:
        self.kind = kind
        self.source = source
        self.roles = plan.roles
        self.policy = plan.policy
        self.timestamp_format = plan.timestamp_format
        self.as_of = as_of
        self.notes = notes
        self._raw = raw
        self._plan = plan
        self._like = like
        self._report: QualityReport | None = None
        self._unchanged = unchanged or (lambda: None)
        #: Rows left out because their customer was erased (``segwise forget``).
        self._erased = 0

    def __repr__(self) -> str:
        roles = dict(self.roles.columns)
        return f"Dataset(kind={self.kind!r}, source={self.source!r}, columns={roles})"

    @cached_property
    def _annotated(self) -> nw.LazyFrame[Any]:
        # The duplicate flag is a window over every column: only worth it when it excludes rows.
        plan = self._report_plan
        return v.annotate(self._raw, plan, duplicates=self.policy.duplicates == "drop")

    @cached_property
    def _report_plan(self) -> v.Plan:
        """The plan of the report and the quarantine: the rows' own, or telling order lines.

        An order's further lines are told apart only where some row names its order but not
        its amount: that is a window over the order id (+30% on a 10M-row report), and most
        sources have no such row (the search for one stops at the first).
        """
        amount, order = self.roles.get("amount"), self.roles.get("order_id")
        if self.kind != "transactions" or amount is None or order is None:
            return self._plan
        blank = self._raw.filter(nw.col(amount).is_null() & ~nw.col(order).is_null())
        with reading(self.source):
            found = portable.collect_one_row(blank.head(1).select(nw.len().alias("n")))
        return replace(self._plan, order_lines=True) if found["n"] else self._plan

    def _canonical(self) -> list[nw.Expr]:
        roles = self.roles.columns
        exprs: list[nw.Expr] = []
        names: set[str] = set()
        parsed = ("customer_id", "timestamp", "event", "question", "answer", "amount", "quantity",
                  "experiment", "variant", "metric", "value", "purpose", "status",
                  "expires")  # fmt: skip
        for role in (*parsed, "unit_price"):
            if role in roles or (role == "amount" and self.roles.amount_is_computed):
                exprs.append(nw.col(_PARSED[role]).alias(role))
                names.add(role)
        for role in ("order_id", "product", "category", "channel"):
            if role in roles:
                exprs.append(nw.col(roles[role]).alias(role))
                names.add(role)
        if self.kind == "transactions":
            is_return = nw.col(v.RETURN) if self.policy.returns != "keep" else nw.lit(value=False)
            exprs.append(is_return.alias("is_return"))
            names.add("is_return")
        used = set(roles.values())
        dates = list(self._plan.attribute_dates)
        for column in self._plan.raw_columns:
            if column in dates:
                exprs.append(attribute_date(column, dates.index(column)))
            elif column not in used:
                exprs.append(
                    nw.col(column).alias(column if column not in names else f"{column}_raw")
                )
        return exprs

    @property
    def written_currency(self) -> str | None:
        """The currency sign or code the amounts are written with (None: plain numbers)."""
        money = self.roles.get("amount") or self.roles.get("unit_price")
        return self._plan.number_format(money).symbol if money else None

    @property
    def currency(self) -> str | None:
        """The ISO code of the currency the amounts are written with (``"254,99 €"``: EUR).

        Read off the amounts' sign or code, else the currency column, else the amount
        column's header (``Amount (EUR)``). None where none says it or the sign names
        several currencies (``$``); the project's ``currency:`` says it then.

        Examples
        --------
        >>> import polars as pl, segwise as sw
        >>> orders = pl.DataFrame({"customer_id": ["1"], "date": ["2024-01-05"],
        ...                        "amount": ["£1,254.50"], "Total (EUR)": [3.0]})
        >>> sw.read_transactions(orders).currency
        'GBP'
        >>> sw.read_transactions(orders.drop("amount")).currency
        'EUR'
        """
        money = self.roles.get("amount") or self.roles.get("unit_price")
        return (
            currency_code(self.written_currency)
            or iso_code(self._plan.currencies.main)
            or (header_currency(money) if money else None)
        )

    @property
    def data(self) -> nw.LazyFrame[Any]:
        """The rows used, with canonical column names, as a lazy Narwhals frame.

        Transactions have ``customer_id, timestamp, amount`` (plus ``quantity,
        unit_price, order_id, product, category, channel`` when present) and
        ``is_return``; customers have ``customer_id``; events ``customer_id,
        timestamp, event``. Every other source column follows unchanged.
        """
        drop = self.policy.duplicates == "drop"
        prepared = v.prepare(self._raw, self._plan, duplicates=drop)
        return v.keep_usable(prepared, self._plan, duplicates=drop).select(*self._canonical())

    def exposures_with_crossovers(self) -> nw.LazyFrame[Any]:
        """:attr:`data` of an exposures source, keeping customers seen in several variants.

        For a caller that groups the exposures by customer anyway (the experiment
        readout) and drops those customers there: it saves the check's own
        group-by, the join back and the sort that restores the file's order.
        Every other check applies.
        """
        if self.kind != "exposures":
            raise TypeError(f"exposures_with_crossovers is for exposures, not {self.kind}")
        plan = replace(self._plan, crossovers=False)
        drop = self.policy.duplicates == "drop"
        prepared = v.prepare(self._raw, plan, duplicates=drop)
        return v.keep_usable(prepared, plan, duplicates=drop).select(*self._canonical())

    def customer_ids(self) -> nw.LazyFrame[Any]:
        """The distinct customer ids of every row read (quarantined rows too), as text.

        Ids are written as the store writes them (``customer_id`` of :attr:`data`);
        blank ids are left out.
        """
        column = self.roles.columns["customer_id"]
        as_text = ids.id_as_text(
            column, self._plan.id_dtype, whole_floats=self._plan.id_whole_floats
        ).alias("customer_id")
        return self._raw.select(as_text).filter(~nw.col("customer_id").is_null()).unique()

    def without_customers(self, customer_ids: Sequence[str]) -> Dataset:
        """The source without any row of ``customer_ids``: what an erasure leaves to read.

        The rows go before every check, so they are neither used nor quarantined;
        the quality report counts them under ``checks["erased"]``.

        Examples
        --------
        >>> import polars as pl, segwise as sw
        >>> orders = pl.DataFrame({"customer_id": ["a", "b", "b", None],
        ...                        "date": ["2024-01-02"] * 4, "amount": [1.0, 2.0, 3.0, 4.0]})
        >>> kept = sw.read_transactions(orders).without_customers(["b"])
        >>> kept.to_native()["customer_id"].to_list(), kept.quality().checks["erased"]
        (['a'], 2)
        >>> kept.quality().excluded["missing_customer_id"]
        1
        """
        column = self.roles.columns["customer_id"]
        erased = ids.id_as_text(
            column, self._plan.id_dtype, whole_floats=self._plan.id_whole_floats
        ).is_in(list(customer_ids))
        erased = erased.fill_null(value=False)
        kept = copy.copy(self)
        kept._raw = self._raw.filter(~erased)
        kept._report = None
        for cached in ("_annotated", "_report_plan"):  # they read the rows erased
            kept.__dict__.pop(cached, None)
        if customer_ids:
            with reading(self.source):
                found = self._raw.filter(erased).select(nw.len()).collect().item()
            kept._erased = self._erased + int(found)
        return kept

    def with_pseudonyms(
        self, pseudonyms: Callable[[pl.Series], Sequence[str]], columns: Sequence[str] = ()
    ) -> Dataset:
        """The source with its customer ids, and ``columns``, replaced by pseudonyms.

        ``pseudonyms`` maps the distinct values of a column (as text) to theirs, in
        order: a project passes keyed hashes (:mod:`segwise.privacy.secret`), so the
        same id gets the same pseudonym in every source and run. The columns are
        replaced in the engine; blanks stay blank. Ids are taken as the store writes
        them (``17.0`` read from a float column is ``17``).

        Examples
        --------
        >>> import polars as pl, segwise as sw
        >>> orders = pl.DataFrame({"customer_id": [17, 17, 18], "date": ["2024-01-02"] * 3,
        ...                        "amount": [1.0, 2.0, 3.0]})
        >>> hidden = sw.read_transactions(orders).with_pseudonyms(
        ...     lambda ids: [f"p{int(i) * 7}" for i in ids])
        >>> hidden.to_native()["customer_id"].to_list()
        ['p119', 'p119', 'p126']
        """
        id_column = self.roles.columns["customer_id"]
        frame = self._raw
        for column in dict.fromkeys([id_column, *columns]):
            text = (
                ids.id_as_text(column, self._plan.id_dtype, whole_floats=self._plan.id_whole_floats)
                if column == id_column
                else nw.col(column).cast(nw.String())
            )
            with reading(self.source):
                found = frame.select(text.alias("v")).unique().collect(backend="polars")
            values = found.to_native()["v"].drop_nulls()
            frame = frame.with_columns(
                text.replace_strict(values.to_list(), list(pseudonyms(values)), default=None).alias(
                    column
                )
            )
        kept = copy.copy(self)
        kept._raw = frame
        kept._plan = replace(self._plan, id_dtype=nw.String(), id_whole_floats=False)
        kept._report = None
        for cached in ("_annotated", "_report_plan"):
            kept.__dict__.pop(cached, None)
        return kept

    def to_native(self) -> Any:
        """Return :attr:`data` as the kind of frame that was read.

        pandas, PyArrow and Polars DataFrames get an eager frame of the same
        library, a Polars LazyFrame a LazyFrame; DuckDB and Spark inputs get
        their lazy native frame. Files and SQLite/PostgreSQL tables get a
        Polars DataFrame (use :attr:`data` to stay lazy).
        """
        with reading(self.source):
            return from_lazy(self.data, like=self._like)

    @property
    def raw_columns(self) -> list[str]:
        """The source's own column names, as read."""
        return list(self._plan.raw_columns)

    def usable_rows(self) -> nw.LazyFrame[Any]:
        """:attr:`data`, each row with its 1-based number in the source (``__sw_row``).

        The numbers are the quarantine's: rows used beside others can be quarantined later
        by number (:meth:`quarantined_as`).
        """
        kept = self._annotated.filter(nw.col(v.REASON).is_null())
        return kept.select(nw.col(v.ROW), *self._canonical())

    def quarantined_as(self, rows: nw.LazyFrame[Any], reason: str) -> nw.LazyFrame[Any]:
        """The source rows numbered in ``rows`` (``__sw_row``), as :meth:`quarantine` gives them."""
        picked = self._annotated.join(rows.select(v.ROW), on=v.ROW, how="semi")
        return self._as_quarantine(picked.with_columns(nw.lit(reason).alias(v.REASON)))

    def quarantine(self) -> nw.LazyFrame[Any]:
        """The rows excluded: their 1-based ``row``, the ``reason``, then every source column.

        Source columns called ``row`` or ``reason`` become ``row_source`` and ``reason_source``.
        """
        return self._as_quarantine(self._annotated.filter(~nw.col(v.REASON).is_null()))

    def _as_quarantine(self, excluded: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        return excluded.select(
            nw.col(v.ROW).alias("row"),
            nw.col(v.REASON).alias("reason"),
            *[
                nw.col(c).alias(f"{c}_source" if c in {"row", "reason"} else c)
                for c in self._plan.raw_columns
            ],
            # What a row held beyond the header: where the shift shows.
            *([nw.col(EXTRA_FIELDS).alias("extra_fields")] if self._plan.extra_fields else []),
        )

    def rows_read(self) -> int:
        """How many rows the source holds, header not counted (a Parquet file's footer says).

        Examples
        --------
        >>> import polars as pl
        >>> import segwise as sw
        >>> sw.read_transactions(pl.DataFrame({"customer_id": ["a", None],
        ...     "timestamp": ["2024-01-02", "2024-01-03"], "amount": [5.0, 2.0]})).rows_read()
        2
        """
        with reading(self.source):
            return int(self._raw.select(nw.len()).collect().item(0, 0))

    def exclusions(self) -> tuple[int, dict[str, int]]:
        """Rows read and, per reason, rows quarantined: the report's counts in one pass.

        What :meth:`quality` counts of the rows, without its other checks (a duplicate
        search holds every row): cheap enough to say what a quick command left out.

        Examples
        --------
        >>> import polars as pl
        >>> import segwise as sw
        >>> orders = sw.read_transactions(pl.DataFrame({"customer_id": ["a", None, "b"],
        ...     "timestamp": ["2024-01-02", "2024-01-03", "soon"], "amount": [5.0, 2.0, 1.0]}))
        >>> orders.exclusions()
        (3, {'missing_customer_id': 1, 'unparseable_timestamp': 1})
        """
        with reading(self.source):
            counted = (
                self._annotated.group_by(v.REASON).agg(nw.len().alias("rows")).collect().rows()
            )
        read = sum(int(rows) for _, rows in counted)
        order = {reason: k for k, reason in enumerate(REASONS)}
        excluded = sorted(
            ((reason, int(rows)) for reason, rows in counted if reason is not None),
            key=lambda item: order.get(item[0], len(order)),
        )
        return read, dict(excluded)

    def write_quarantine(self, path: StrPath) -> Path:
        """Write the quarantined rows to CSV, Parquet or JSON, atomically."""
        with reading(self.source):
            written = write_table(self.quarantine(), path)
        self._unchanged()
        return written

    def reports(self) -> list[QualityReport]:
        """The quality report of each source read: here one (several for a combined dataset)."""
        return [self.quality()]

    def quality(self) -> QualityReport:
        """Compute (once) and return the data-quality report.

        Raises
        ------
        DataError
            There are no data rows, or no row can be used.
        """
        if self._report is None:
            with reading(self.source):
                self._report = compute_report(
                    self._annotated,
                    self._report_plan,
                    source=self.source,
                    timestamp_format=self.timestamp_format,
                    as_of=self.as_of,
                    notes=self.notes,
                )
            if self._erased:
                self._report = erased_noted(self._report, self._erased)
            self._unchanged()
        return self._report
