"""One name per idea: the public API spells the customer id column and the seed one way each.

The rule (docs/architecture.md, "One name per idea"): readers name roles
(``customer_id=``); functions that read transactions keep lifetimes' names
(``customer_id_col=``, alongside ``datetime_col=``); estimators and functions
on a customer table use ``id_col=``. Seeds are ``random_state`` in Python.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import segwise as sw

ID_SPELLINGS = {"customer_id", "customer_id_col", "id_col"}
SEED_SPELLINGS = {"random_state"}
#: Seeded data generators keep the shorter ``seed`` (as numpy's default_rng does).
GENERATORS = {"generate_retailer", "planted_segments"}


def _public_signatures() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in sw.__all__:
        obj: Any = getattr(sw, name)
        target = obj.__init__ if inspect.isclass(obj) else obj
        if not callable(target):
            continue
        try:
            found[name] = list(inspect.signature(target).parameters)
        except (TypeError, ValueError):
            continue
    return found


def test_the_customer_id_column_has_one_spelling_per_context() -> None:
    for name, parameters in _public_signatures().items():
        ids = {p for p in parameters if re.search(r"(^|_)(customer|id)(_|$)", p)}
        ids -= {"order_id", "order_id_col"}
        assert ids <= ID_SPELLINGS | {"account_id"}, f"{name}: {sorted(ids - ID_SPELLINGS)}"
        if "datetime_col" in parameters:
            assert ids == {"customer_id_col"}, f"{name} reads transactions: customer_id_col"
        elif name == "read_accounts":  # its rows are companies: the key is the account's
            assert ids == {"account_id"}, f"{name} reads accounts: account_id"
        elif name.startswith("read_") or name == "SourceOptions":
            assert ids == {"customer_id"}, f"{name} is a reader: customer_id"
        elif ids:
            assert ids == {"id_col"}, f"{name} works on a customer table: id_col"


def test_seeds_are_random_state() -> None:
    for name, parameters in _public_signatures().items():
        seeds = {p for p in parameters if "seed" in p or "random" in p}
        if name in GENERATORS:
            continue
        assert seeds <= SEED_SPELLINGS, f"{name}: {sorted(seeds)}"
