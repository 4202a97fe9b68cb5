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


def withheld_note(sizes: Mapping[str, int], k_min: int, unit: str = "customers") -> str | None:
    """What a segmentation says when its small segments hold a quarter of its people or more.

    Their sizes and traits are withheld wherever they are shown, so such a
    segmentation describes too little of the base to act on. The note gives no
    count of them: a sum over one small segment would be its size.

    Examples
    --------
    >>> withheld_note({"Lost": 10, "Champions": 6, "New": 1}, 10)[:60]
    '2 of 3 segments hold fewer than 10 customers each, together '
    >>> withheld_note({"Lost": 30, "New": 3}, 10) is None
    True
    """
    small = [n for n in sizes.values() if 0 < n < k_min]
    total = sum(sizes.values())
    if k_min <= 1 or not total or sum(small) < total / 4:
        return None
    return (
        f"{len(small)} of {len(sizes)} segments hold fewer than {k_min} {unit} each, together a "
        f"quarter of the {unit} or more: too few to describe, so the report and the service "
        "show neither their size nor their traits (privacy.k_min); fewer, broader segments "
        "would describe them"
    )


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


#: The keys that hold a count of people in the rule editor's and impact previews' answers.
COUNT_KEYS = frozenset(
    {"matches", "assigned", "alone", "cumulative", "other", "before", "after", "entering",
     "leaving", "size", "customers"}
)  # fmt: skip
#: What is worked out from a count, withheld with it.
_DERIVED = {"matches": ("share",), "entering": ("revenue_entering",),
            "leaving": ("revenue_leaving",)}  # fmt: skip


def protect_counts(value: Any, k_min: int) -> Any:
    """``value`` (JSON-like) with every count of people under ``k_min`` set to None.

    A count is a number under one of :data:`COUNT_KEYS`; zero is kept (nobody is
    nobody). What is derived from a withheld count (a share, a revenue) goes too.

    Examples
    --------
    >>> shown = protect_counts({"segment": "VIP", "matches": 4, "share": 0.01,
    ...                         "conditions": [{"alone": 0, "cumulative": 40}]}, 10)
    >>> shown["matches"], shown["share"], shown["conditions"]
    (None, None, [{'alone': 0, 'cumulative': 40}])
    """
    if isinstance(value, list):
        return [protect_counts(item, k_min) for item in value]
    if not isinstance(value, dict):
        return value
    shown = {key: protect_counts(item, k_min) for key, item in value.items()}
    for key in COUNT_KEYS & shown.keys():
        count = shown[key]
        if isinstance(count, int | float) and not isinstance(count, bool) and 0 < count < k_min:
            shown[key] = None
            for derived in _DERIVED.get(key, ()):
                if derived in shown:
                    shown[derived] = None
    return shown
