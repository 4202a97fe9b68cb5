"""Columns that count the time since the last of something, where a blank means never.

``recency_days`` is blank for a customer who never bought, and a CRM table's
``days_since_last_login`` for one who never logged in. Read as a number such
a blank is not a typical value but the far end ("longer ago than anyone"):
clustering places it there, and the cards read it as "have never bought" or
"have never engaged". The patterns live here, under both, so the two agree.
"""

from __future__ import annotations

import re

#: Time since the last order or purchase.
PURCHASE_RECENCY = r"recency|days_since_(last_)?(purchase|order|buy|bought|transaction|sale)"
#: Time since the last sign of engagement: an event, a login, a visit, an open, a click.
ENGAGEMENT_RECENCY = (
    r"days_since_last_event|last_event|last_seen|last_active|"
    r"days_since_last_(login|visit|session|open|click|activ|app|web)"
)

_NEVER = re.compile(f"{PURCHASE_RECENCY}|{ENGAGEMENT_RECENCY}", re.IGNORECASE)


def blank_means_never(column: str) -> bool:
    """Whether a blank in this column means the thing never happened.

    Examples
    --------
    >>> blank_means_never("recency_days"), blank_means_never("days_since_last_login")
    (True, True)
    >>> blank_means_never("tenure_days"), blank_means_never("recency_score")
    (False, False)
    """
    # A "recency_score" (5 = most recent) runs the other way, and is never blank for never.
    return _NEVER.search(column) is not None and "score" not in column.lower()
