"""Traits that name the group they compare with, where it is not everyone.

A hybrid's leaf is profiled against its parent: inside "App users", "spends 0.5× the
average (494 vs 1,038)" quotes the app users' 1,038, while a reader takes "the average"
for everyone's (474 on the demo, where the leaf spends about the average). Each phrase that
stands for the comparison group ("the average", "as often as average", "far below
average", "typical customer", "(average 3%)", "(35% overall)") names the group instead.
"""

from __future__ import annotations

import re

_REFERENCE = re.compile(
    r"\b(?:as often as average|far (?:above|below) average|(?:above|below) average"
    r"|the average)\b|\(typical (\w+):|\(average | overall\)"
)


def against(trait: str, group: str) -> str:
    """``trait`` with each mention of the comparison group naming ``group``.

    Examples
    --------
    >>> against("spends 0.5× the average (494 vs 1,038)", "App users")
    "spends 0.5× the average in 'App users' (494 vs 1,038)"
    >>> against("buys 2.3× as often as average (33.4 vs 14.7 orders)", "App users")
    "buys 2.3× as often as the average in 'App users' (33.4 vs 14.7 orders)"
    >>> against("last bought 6 days ago (typical customer: 4 weeks)", "App users")
    "last bought 6 days ago (typical customer in 'App users': 4 weeks)"
    >>> against("app session 30d far below average (0 vs 0.42)", "VIP")
    "app session 30d far below the average in 'VIP' (0 vs 0.42)"
    >>> against("returns 20% of what they buy (average 3%)", "VIP")
    "returns 20% of what they buy (average in 'VIP': 3%)"
    >>> against("90% have no second order yet (35% overall)", "VIP")
    "90% have no second order yet (35% in 'VIP')"
    """

    def named(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return f"(typical {match.group(1)} in '{group}':"
        text = match.group(0)
        if text == "(average ":
            return f"(average in '{group}': "
        if text == " overall)":
            return f" in '{group}')"
        if text == "the average":
            return f"the average in '{group}'"
        return text.removesuffix("average") + f"the average in '{group}'"

    return _REFERENCE.sub(named, trait)
