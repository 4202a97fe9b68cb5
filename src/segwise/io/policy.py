"""Cleaning policies: which problem rows are kept, and which are quarantined.

A policy never makes rows disappear: every row it excludes goes to the
quarantine with a reason, and the data-quality report counts it.

Rows that can never be used are always quarantined: no customer id, no
readable timestamp, no readable amount, or a timestamp after the as-of date.
The policy decides the rest:

``returns``
    Returns and cancellations (an order id starting with the cancellation
    prefix, Online Retail's ``C`` invoices, or a negative quantity or amount).
    ``net`` (default) keeps them, flagged ``is_return``, so revenue is net of
    returns while order counts use purchases only. ``keep`` keeps them as
    ordinary rows. ``exclude`` quarantines them.
``duplicates``
    Exact duplicate rows (every column equal to an earlier row). ``keep``
    (default) keeps them and counts them; ``drop`` quarantines all but the first.
``non_positive_price``
    Rows whose unit price is zero or negative (free samples, bad-debt
    adjustments). ``exclude`` (default) or ``keep``.
``non_product_codes``
    Product codes that are not products (postage, fees, manual adjustments).
    Quarantined when listed; a code ending in ``*`` is a prefix.

Presets: ``default`` is the above; ``purchases-only`` is the widely used Online
Retail cleaning (customer id present, quantity > 0, price > 0), which
excludes returns as well.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from segwise._validation import check_choice
from segwise.exceptions import ConfigError

ReturnsPolicy = Literal["keep", "net", "exclude"]
DuplicatesPolicy = Literal["keep", "drop"]
PricePolicy = Literal["keep", "exclude"]

#: Online Retail stock codes that are not products (see ../shared/data/README.md).
ONLINE_RETAIL_NON_PRODUCT_CODES: tuple[str, ...] = (
    "POST",
    "DOT",
    "M",
    "m",
    "C2",
    "D",
    "S",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "B",
    "gift_0001_*",
    "DCGS*",
)

#: Named lists of non-product codes users can refer to by name.
NON_PRODUCT_CODE_LISTS: dict[str, tuple[str, ...]] = {
    "online-retail": ONLINE_RETAIL_NON_PRODUCT_CODES
}


@dataclass(frozen=True)
class CleaningPolicy:
    """What to do with returns, duplicates, non-positive prices and non-product codes.

    Examples
    --------
    >>> CleaningPolicy.preset("purchases-only").returns
    'exclude'
    >>> CleaningPolicy().with_options(duplicates="drop").duplicates
    'drop'
    """

    returns: ReturnsPolicy = "net"
    duplicates: DuplicatesPolicy = "keep"
    non_positive_price: PricePolicy = "exclude"
    non_product_codes: tuple[str, ...] = ()
    cancellation_prefix: str = "C"

    @classmethod
    def preset(cls, name: str) -> CleaningPolicy:
        """Return a named policy: ``default`` or ``purchases-only``."""
        check_choice("policy", name, list(PRESETS))
        return PRESETS[name]

    def with_options(
        self,
        *,
        returns: str | None = None,
        duplicates: str | None = None,
        non_positive_price: str | None = None,
        non_product_codes: tuple[str, ...] | list[str] | str | None = None,
        cancellation_prefix: str | None = None,
    ) -> CleaningPolicy:
        """Return a copy with the given options changed and checked."""
        changes: dict[str, object] = {}
        if returns is not None:
            changes["returns"] = check_choice("returns", returns, ["keep", "net", "exclude"])
        if duplicates is not None:
            changes["duplicates"] = check_choice("duplicates", duplicates, ["keep", "drop"])
        if non_positive_price is not None:
            changes["non_positive_price"] = check_choice(
                "non_positive_price", non_positive_price, ["keep", "exclude"]
            )
        if non_product_codes is not None:
            changes["non_product_codes"] = resolve_codes(non_product_codes)
        if cancellation_prefix is not None:
            changes["cancellation_prefix"] = cancellation_prefix
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self, kind: str = "transactions") -> dict[str, object]:
        """Return the options that apply to a ``kind`` of input as plain data, for reports.

        Returns, prices and product codes are about order lines; a customer
        table or an event log is read with the duplicates option alone.

        >>> CleaningPolicy().describe("customers")
        {'duplicates': 'keep'}
        """
        described: dict[str, object] = {
            "returns": self.returns,
            "duplicates": self.duplicates,
            "non_positive_price": self.non_positive_price,
            "non_product_codes": list(self.non_product_codes),
            "cancellation_prefix": self.cancellation_prefix,
        }
        if kind == "transactions":
            return described
        return {k: described[k] for k in _KEYS_BY_KIND.get(kind, ())}


#: The cleaning options each input other than transactions is read with.
_KEYS_BY_KIND = dict.fromkeys(("customers", "events", "accounts"), ("duplicates",))


def resolve_codes(codes: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """Expand a named list (``online-retail``) or a comma-separated string into codes.

    Examples
    --------
    >>> resolve_codes("POST, DOT")
    ('POST', 'DOT')
    >>> len(resolve_codes("online-retail")) > 10
    True
    """
    if isinstance(codes, str):
        if codes in NON_PRODUCT_CODE_LISTS:
            return NON_PRODUCT_CODE_LISTS[codes]
        codes = [code.strip() for code in codes.split(",")]
    resolved = tuple(code for code in codes if code)
    for code in resolved:
        if "*" in code[:-1]:
            raise ConfigError(
                f"non-product code '{code}' has '*' before its end",
                hint="only a trailing '*' (a prefix match) is supported",
            )
    return resolved


PRESETS: dict[str, CleaningPolicy] = {
    "default": CleaningPolicy(),
    "purchases-only": CleaningPolicy(returns="exclude"),
}
