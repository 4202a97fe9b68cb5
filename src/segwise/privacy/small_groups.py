"""Small-group protection: a group under ``k_min`` people is shown as "< k_min", never counted.

A segment of three people, its share and its traits say a lot about those
three. Reports, profiles, KPIs and the service show such a group's size as
"< k_min" and withhold what describes it (share, traits, lifts, value,
predicted revenue); the group itself is still segmented, stored and
activated (activation has its own minimum audience). ``k_min = 1`` turns the
protection off.

Hiding a small group's count does not stop it from being worked out by
subtraction when every other count and the total are shown; the total is
left as it is, so a lone small segment can be inferred within "< k_min".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The default smallest group shown: 10 people (the usual statistical disclosure threshold).
K_MIN = 10

#: What describes a segment beyond its name and definition: withheld for a small one.
DESCRIBING = ("share", "revenue_share", "value_mean", "value_text", "contacts", "stability")


def is_small(size: float | None, k_min: int) -> bool:
    """Whether a group of ``size`` is under ``k_min`` (an unknown size is not).

    Examples
    --------
    >>> is_small(9, 10), is_small(10, 10), is_small(None, 10)
    (True, False, False)
    """
    return size is not None and size < k_min


def below(k_min: int) -> str:
    """How a small group's size reads: ``< 10``."""
    return f"< {k_min}"


def protect_card(card: Mapping[str, Any], k_min: int) -> dict[str, Any]:
    """A segment card (``size``, ``share``, ``traits``…) as it may be shown.

    A small segment's size becomes None with ``size_below`` set to ``k_min``,
    and what describes it is withheld; a large one comes back unchanged
    (``size_below`` None).

    Examples
    --------
    >>> card = {"name": "VIP", "size": 3, "share": 0.01, "traits": ["big spenders"]}
    >>> protect_card(card, 10)
    {'name': 'VIP', 'size': None, 'share': None, 'traits': [], 'size_below': 10}
    >>> protect_card({"name": "All", "size": 300}, 10)["size"]
    300
    """
    if not is_small(card.get("size"), k_min):
        return {**card, "size_below": None}
    shown = {**card, "size": None, "size_below": k_min}
    for key in DESCRIBING:
        if key in shown:
            shown[key] = None
    for key, empty in (("traits", []), ("lift", {}), ("predicted_revenue", {})):
        if key in shown:
            shown[key] = empty
    return shown


def protect_count(count: float | None, k_min: int) -> float | None:
    """A count as it may be shown: None when under ``k_min`` (say :func:`below` instead)."""
    return None if is_small(count, k_min) else count


def protect_kpis(segment: Mapping[str, Any], k_min: int) -> dict[str, Any]:
    """One segment's KPIs (``customers`` and measures) as they may be shown.

    A segment of fewer than ``k_min`` customers keeps only its name, with
    ``customers`` None and ``customers_below`` set to ``k_min``.

    Examples
    --------
    >>> protect_kpis({"segment": "VIP", "customers": 4, "conversion": {"value": 0.5}}, 10)
    {'segment': 'VIP', 'customers': None, 'customers_below': 10}
    """
    if not is_small(segment.get("customers"), k_min):
        return {**segment, "customers_below": None}
    return {"segment": segment.get("segment"), "customers": None, "customers_below": k_min}
