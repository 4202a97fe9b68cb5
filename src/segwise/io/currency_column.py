"""A column that names each amount's currency: amounts in several currencies are not summed.

Payment exports (Stripe's ``Currency`` beside ``Amount``) and multi-currency shops
write every charge in the currency the customer paid in. Summed as they are, 100
JPY and 100 USD would be the same money. The currency most rows name is the
source's; rows naming another are quarantined as ``other_currency``, as amounts
written with another sign are, and the report lists the currencies found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import narwhals.stable.v2 as nw

#: Distinct values beyond which a column is no list of currencies (free text, ids).
_MOST_VALUES = 1_000


def _code(written: Any) -> str:
    return str(written).strip().upper()


@dataclass(frozen=True)
class Currencies:
    """The currencies a column names: rows per currency, most first, and how each is written.

    Examples
    --------
    >>> import polars as pl
    >>> rows = pl.LazyFrame({"cur": ["usd", "USD ", "eur", "usd", None]})
    >>> found = Currencies.of(nw.from_native(rows), "cur")
    >>> found.counts, found.main, found.others
    ({'USD': 3, 'EUR': 1}, 'USD', ('eur',))
    """

    column: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    written: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: nw.LazyFrame[Any], column: str | None) -> Currencies:
        """Count them: one group-by over the column (no row is trimmed one by one).

        Empty without a column, or when it holds too many distinct values to be currencies.
        """
        if column is None:
            return cls()
        found = frame.group_by(column).agg(nw.len().alias("__n")).collect(backend="polars")
        rows = found.to_native()
        if rows.height > _MOST_VALUES:
            return cls(column)
        counts: dict[str, int] = {}
        written: dict[str, list[Any]] = {}
        for value, n in zip(rows[column].to_list(), rows["__n"].to_list(), strict=True):
            if value is not None and _code(value):
                counts[_code(value)] = counts.get(_code(value), 0) + n
                written.setdefault(_code(value), []).append(value)
        ranked = sorted(counts, key=lambda code: (-counts[code], code))
        return cls(
            column,
            {code: counts[code] for code in ranked},
            {code: tuple(sorted(written[code], key=str)) for code in ranked},
        )

    @property
    def main(self) -> str | None:
        """The currency most rows name, or None when the column names none."""
        return next(iter(self.counts), None)

    @property
    def others(self) -> tuple[Any, ...]:
        """The values, as written, that name another currency than :attr:`main`."""
        return tuple(v for code in list(self.written)[1:] for v in self.written[code])

    def notes(self) -> list[str]:
        """What the report says when the column names several currencies (nothing for one)."""
        if len(self.counts) < 2:
            return []
        main, *others = self.counts
        shown = ", ".join(f"{code} {self.counts[code]:,}" for code in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        return [
            f"column '{self.column}' names {len(self.counts)} currencies: the amounts in {main} "
            f"({self.counts[main]:,} rows) are read, the others ({shown}{more}) quarantined as "
            "other_currency; if the export has the amounts converted to one currency, name "
            "that column as the amount (--amount-col)"
        ]


def in_another_currency(column: str, others: tuple[Any, ...]) -> nw.Expr:
    """True where the column holds one of ``others`` (see :attr:`Currencies.others`)."""
    return nw.col(column).is_in(list(others)).fill_null(value=False)


def iso_code(currency: str | None) -> str | None:
    """``currency`` when it reads as an ISO 4217 code (three letters), else None.

    Stripe's API writes its codes in lower case (``eur``): the same code.

    Examples
    --------
    >>> iso_code("EUR"), iso_code("eur"), iso_code("Euro"), iso_code("€")
    ('EUR', 'EUR', None, None)
    """
    if currency is None or not re.fullmatch("[A-Z]{3}|[a-z]{3}", currency):
        return None
    return currency.upper()
