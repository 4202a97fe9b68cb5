"""Retention periods: how long a kind of data is kept, written ``36 months`` or ``90 days``.

A period counts back from a day: ``36 months`` before 2026-05-31 is 2023-05-31
(calendar months; a day the earlier month lacks becomes its last day). Data
dated before that boundary is past retention. The layers that hold the data
act on it: the run leaves such source rows out, ``segwise purge`` deletes
stored runs and quarantine files.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
_PATTERN = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$")


@dataclass(frozen=True)
class Period:
    """A retention period: ``count`` days, weeks, months or years.

    Examples
    --------
    >>> Period.parse("36 months").start(date(2026, 5, 31))
    datetime.date(2023, 5, 31)
    >>> Period.parse("1 month").start(date(2026, 3, 31))
    datetime.date(2026, 2, 28)
    >>> str(Period.parse("90 days"))
    '90 days'
    """

    count: int
    unit: str

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        """Read ``N days|weeks|months|years`` (singular or plural); ValueError otherwise."""
        if isinstance(text, Period):
            return text
        found = _PATTERN.match(str(text).lower())
        unit = _UNITS.get(found.group(2)) if found else None
        if found is None or unit is None or int(found.group(1)) < 1:
            raise ValueError(
                f"'{text}' is not a retention period: write a whole number and days, weeks, "
                "months or years, e.g. 36 months"
            )
        return cls(int(found.group(1)), unit)

    def start(self, day: date) -> date:
        """The first day still kept, counting back from ``day``."""
        if self.unit == "days":
            return day - timedelta(days=self.count)
        if self.unit == "weeks":
            return day - timedelta(weeks=self.count)
        months = self.count * (12 if self.unit == "years" else 1)
        index = day.year * 12 + day.month - 1 - months
        year, month = divmod(index, 12)
        last = calendar.monthrange(year, month + 1)[1]
        return date(year, month + 1, min(day.day, last))

    def __str__(self) -> str:
        return f"{self.count} {self.unit if self.count != 1 else self.unit[:-1]}"
