"""Recommended actions for segments found by clustering, from their defining traits.

Rule segments carry a playbook and RFM segments their score map's action;
clusters get a first suggestion from what defines them, for a marketer to
refine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.profiling.traits import descriptor

if TYPE_CHECKING:
    from segwise.profiling.traits import Trait

#: (descriptor, action), first match wins: the most urgent situations come first.
_ACTIONS: tuple[tuple[str, str], ...] = (
    ("lapsed", "Win back: a reminder of what they bought, with a time-limited incentive."),
    ("high-value", "Retain and reward: early access, loyalty perks, personal service."),
    ("frequent", "Keep the habit going: replenishment reminders and a loyalty programme."),
    ("new", "Onboard: a welcome series that leads to the second purchase."),
    ("recent", "Strike while it is warm: recommendations based on the last purchase."),
    ("big-basket", "Upsell and bundle: premium ranges and complementary products."),
    ("engaged", "Convert engagement: targeted offers where they already engage."),
    ("quiet", "Re-engage: test a new channel or a lighter message frequency."),
    ("occasional", "Grow frequency: cross-sell and a reason to come back soon."),
    ("low-value", "Serve efficiently: automated campaigns, low-cost channels."),
)


def suggest_action(traits: list[Trait]) -> str:
    """The first matching action for a segment's traits (strongest trait first).

    Examples
    --------
    >>> from segwise.profiling.traits import Trait
    >>> suggest_action([Trait("recency_days", "numeric", 1, 2.0, "")])
    'Win back: a reminder of what they bought, with a time-limited incentive.'
    """
    words = [descriptor(t) for t in traits]
    for word in words:
        for key, action in _ACTIONS:
            if word == key:
                return action
    return "Test a tailored message against a control group to learn what moves them."
