"""``SourceOptions``: how to read a transactions source, built once and passed around.

The same thirteen settings (which column is which, the cleaning policy, how
the file is written) reach the reader from the CLI, the project file and,
later, the API. Their names are the reader's own keywords, so
``read_transactions(path, **options.keywords())`` is the whole mapping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SourceOptions:
    """How to read a transactions source (see :func:`segwise.read_transactions`).

    Examples
    --------
    >>> SourceOptions(customer_id="Customer ID", delimiter=";").keywords()
    {'customer_id': 'Customer ID', 'policy': 'default', 'delimiter': ';'}
    """

    customer_id: str | None = None
    timestamp: str | None = None
    amount: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    order_id: str | None = None
    policy: str = "default"
    timestamp_format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    table: str | None = None
    query: str | None = None

    def keywords(self) -> dict[str, Any]:
        """The settings given (None left out), as the reader's keyword arguments."""
        return {k: v for k, v in asdict(self).items() if v is not None}
