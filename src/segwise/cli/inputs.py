"""The customer table a rule or cluster command works on, and the event tables beside it.

``segwise segment``, ``explain`` and ``cluster`` take the same six options: a
customer table (or ``--transactions`` to build one), its id column, the
``--customers`` and ``--events`` to add, and ``--as-of``. They are declared
once here and reach the command as one :class:`CustomerInputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from segwise.cli import options as opt
from segwise.exceptions import ConfigError, DataError


def project_file(path: str | Path | None) -> Path | None:
    """``path`` as a segwise project file, else None.

    A project file is a YAML file with ``segmentations:``, or a folder that holds
    ``segwise.yaml``; commands that read tables or catalogs use this to point the
    user at the project form of the command instead of failing on the YAML.
    """
    if path is None:
        return None
    found = Path(path)
    if found.is_dir():
        found = found / "segwise.yaml"
    if found.suffix.lower() not in {".yaml", ".yml"} or not found.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(found.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    return found if isinstance(data, dict) and "segmentations" in data else None


class CustomerData(NamedTuple):
    """What the commands read: the table (id under its own name), its id column, the events."""

    table: Any
    id_col: str
    events: Any
    transactions: Any


@dataclass(frozen=True)
class CustomerInputs:
    """Where the customer table comes from: a file, or transactions (+ customers, events)."""

    file: str | None = None
    id_col: str | None = None
    events: str | None = None
    transactions: str | None = None
    customers: str | None = None
    as_of: str | None = None

    def read(self) -> CustomerData:
        """Read the customer table and the event tables.

        Without ``file``, the customer table is built from ``transactions``
        (and ``customers`` and ``events`` when given) as of ``as_of``, as
        ``segwise features`` builds it.
        """
        import segwise as sw
        from segwise.cli.data import checked

        events_data = None if self.events is None else sw.read_events(self.events)
        orders = (
            None if self.transactions is None else checked(sw.read_transactions(self.transactions))
        )
        if self.file is None:
            if orders is None:
                raise ConfigError(
                    "no customer table",
                    hint="give a customer table (one row per customer), or --transactions ORDERS "
                    "to build one from an orders export",
                )
            from segwise.engine.frames import to_lazy

            people = None if self.customers is None else sw.read_customers(self.customers)
            built = sw.customer_features(
                orders, customers=people, events=events_data, as_of=self.as_of
            )
            return CustomerData(to_lazy(built), "customer_id", events_data, orders)
        if self.customers is not None:
            raise ConfigError(
                "--customers builds the customer table with --transactions; a table was given too",
                hint=f"leave out {self.file}, or --customers",
            )
        return CustomerData(self._one_row_each(), self.id_col or "customer_id", events_data, orders)

    def _one_row_each(self) -> Any:
        import segwise as sw

        table = sw.read_customers(self.file, customer_id=self.id_col)
        repeated = table.quality().excluded.get("duplicate_customer_id", 0)
        if repeated:
            # An orders export is not a customer table: clustering or segmenting its lines
            # would treat each order line as a customer.
            raise DataError(
                f"{repeated:,} rows repeat a customer id already seen: this is not one row per "
                "customer (an orders export?)",
                hint=f"build the customer table first: segwise features {self.file} -o "
                f"customers.parquet, or pass it as --transactions {self.file}",
                source=self.file,
                column=table.roles.columns["customer_id"],
            )
        data = table.data
        if self.id_col not in (None, "customer_id"):
            data = data.rename({"customer_id": self.id_col})
        return data


_CUSTOMER_PARAMETERS: tuple[tuple[str, Any, str, Any], ...] = (
    ("file", opt.CustomerTable, "file", None),
    ("id_col", opt.CustomerCol, "id_col", None),
    ("events", opt.EventsFile, "events", None),
    ("transactions", opt.TransactionsFile, "transactions", None),
    ("customers", opt.CustomersFile, "customers", None),
    ("as_of", opt.AsOf, "as_of", None),
)

#: Give a command the six customer-table options, delivered as one ``inputs: CustomerInputs``.
with_customer_inputs = opt.delivering(
    _CUSTOMER_PARAMETERS, lambda fields: CustomerInputs(**fields), "inputs"
)
