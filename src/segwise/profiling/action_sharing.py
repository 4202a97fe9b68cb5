"""Sharing actions out among a segmentation's segments: one each, none repeated.

Each segment's traits call for a list of actions, best first, ending with the
default. The actions are shared out as one assignment that keeps the segments,
in all, as near the top of their lists as it can (ties to the earlier segment).
First come, first served gave CDNOW's most valuable cluster (38% of revenue, 13
orders each) "Strike while it is warm", its third choice, because a larger
cluster with 6 orders each had taken "Keep the habit going", with "Retain and
reward" next on its own list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from segwise.profiling.traits import Trait


def share_out(traits: Sequence[Sequence[Trait]], choices: Sequence[Sequence[str]]) -> list[str]:
    """One action per segment from its ``choices`` (best first, the default last), as said.

    ``traits`` are each segment's, strongest first. The places come from
    :func:`_share_out`; no sharpened action is said twice. A segment may share
    its first choice sharpened by a trait that sets it apart from the holder.
    One with no such trait is not sharpened while anything else is left (its
    "what sets them apart" would be false), and segments that would read alike
    share one sharpened place. Each pass only adds such limits, so this ends.
    Segments with no trait at all share the default as it is: there is nothing
    to say apart.
    """
    place = list(range(len(traits)))  # segments with one number share one sharpened place
    barred: set[int] = set()
    while True:
        chosen = _share_out(choices, place, barred)
        holders = {choices[i][j]: traits[i] for i, j in enumerate(chosen) if j < len(choices[i])}
        out: list[str] = []
        changed = False
        for i, (own, options, j) in enumerate(zip(traits, choices, chosen, strict=True)):
            if j < len(options):
                out.append(options[j])
                continue
            lead = _apart(own, holders[options[0]])
            if lead is None and i not in barred:
                barred.add(i)
                changed = True
            lead = lead or (own[0] if own else None)
            # Nothing to build it around (a segment with no trait): the action as it is.
            out.append(
                f"{options[0]} Build it around what sets them apart: {lead.text}."
                if lead is not None
                else options[0]
            )
            twin = out.index(out[-1])
            if twin != i and place[i] != place[twin]:
                place = [place[twin] if p == place[i] else p for p in place]
                changed = True
        if not changed:
            return out


def _share_out(
    choices: Sequence[Sequence[str]], place: Sequence[int], barred: Collection[int]
) -> list[int]:
    """For each segment, the position in its list of the action it gets.

    One action per segment, none shared: the assignment that moves segments the
    fewest steps down their lists in all (:func:`_steps`), earlier segments
    winning ties. Position ``len`` means the segment shares its first choice,
    sharpened by its own trait: segments with the same number in ``place`` may
    not both be, and those in ``barred`` only when nothing else is left.
    """
    from scipy.optimize import linear_sum_assignment  # noqa: PLC0415 - only runs with actions

    n = len(choices)
    actions = list(dict.fromkeys(a for options in choices for a in options))
    column = {a: j for j, a in enumerate(actions)}
    most = max((len(options) for options in choices), default=0) + 2
    # The steps decide; the second term, below one step in all, lets the earlier segment
    # keep the better place when the totals tie.
    unit = most * n * n + 1
    # Out of reach: more than every segment at the foot of its list.
    cost = np.full((n, len(actions) + n), n * most * (unit + n) + 1, dtype=np.int64)
    for i, options in enumerate(choices):
        weight = unit + (n - i)
        for position, action in enumerate(options):
            cost[i, column[action]] = _steps(options, position) * weight
        if i not in barred:
            cost[i, len(actions) + place[i]] = _steps(options, len(options)) * weight
    rows, columns = linear_sum_assignment(cost)
    chosen = [0] * n
    for i, j in zip(rows, columns, strict=True):
        chosen[i] = list(choices[i]).index(actions[j]) if j < len(actions) else len(choices[i])
    return chosen


def _steps(options: Sequence[str], position: int) -> int:
    """How far down its list a segment goes to take ``options[position]``.

    The actions its traits call for count their place. Its first choice shared
    and sharpened by its own trait ("Win back…, built around their big
    baskets") comes next, and only then the default, which is no action at
    all; a segment whose traits call for nothing takes the default first.
    """
    called_for = len(options) - 1  # the default is always last
    if position < called_for:
        return position
    if called_for == 0:
        return position + 1  # the default, then the default shared
    return called_for + 1 if position == len(options) else called_for + 2


def _apart(traits: Sequence[Trait], holder: Sequence[Trait]) -> Trait | None:
    """The strongest trait the segment holding the same action does not share."""
    shared = {(t.feature, t.direction, t.level) for t in holder}
    return next((t for t in traits if (t.feature, t.direction, t.level) not in shared), None)
