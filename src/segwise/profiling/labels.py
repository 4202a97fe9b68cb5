"""Short labels for features on chart axes and in evidence ("days between orders").

Traits and names read a feature in sentences (:mod:`segwise.profiling.vocabulary`);
a chart axis, or the evidence that a name no longer fits, needs a few words.
"""

from __future__ import annotations

from segwise.profiling.vocabulary import subject, words

#: Short labels for the columns ``customer_features`` makes, for chart axes.
_LABELS = {
    "tenure_days": "tenure",
    "recency_days": "days since last order",
    "orders": "orders",
    "net_revenue": "net revenue",
    "avg_order_value": "order value",
    "inter_purchase_mean_days": "days between orders",
    "inter_purchase_last_days": "last gap between orders",
    "return_rate": "returns",
    "days_since_last_event": "days since last active",
    "p_alive": "chance still active",
    "p_alive_repeat": "chance still active (repeat buyers)",
    "clv": "predicted value",
    "quiet_cycles": "time quiet, in purchase cycles",
}


def label(column: str) -> str:
    """A short axis label for a column (``avg_order_value`` → "order value").

    Examples
    --------
    >>> label("inter_purchase_mean_days"), label("share_garden")
    ('days between orders', 'garden share')
    """
    if column in _LABELS:
        return _LABELS[column]
    if column.lower().startswith("share_"):
        return f"{subject(column)} share"
    return words(column).lower()
