"""Recommended actions for segments found by clustering, from their defining traits.

Rule segments carry a playbook and RFM segments their score map's action;
clusters get a first suggestion from what defines them, for a marketer to
refine. Two rules keep the suggestions honest:

* value comes first: a segment whose net value per customer is negative or
  near zero, or that returns well above the average, never gets an upsell or
  cross-sell action (more basket for a returner is more to send back);
* one segmentation never repeats an action. Actions are shared out as one
  assignment that keeps the segments as near the top of their own lists as it
  can (ties go to the segment with more revenue); a segment left without a
  free action shares its first, sharpened with a trait that sets it apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from segwise.profiling.action_sharing import share_out
from segwise.profiling.amounts import money
from segwise.profiling.repeat import REPEAT_WORD
from segwise.profiling.traits import NEWER, concept_key, contradicted
from segwise.profiling.vocabulary import channel_of, unit

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from segwise.profiling.profiles import SegmentProfile, SegmentProfiles
    from segwise.profiling.traits import Trait

#: A segment whose mean value is below this share of the population's counts as near zero.
NEAR_ZERO_VALUE = 0.05


@dataclass(frozen=True, slots=True)
class _Action:
    concept: str
    direction: int  # +1 above average, -1 below, 0 "missing" (no second order yet)
    text: str
    grows_spend: bool = False  # upsell/cross-sell: never for segments that lose money
    ongoing: bool = False  # presumes they still buy: never for lapsed segments


#: First match in the segment's trait order wins: its strongest trait leads.
_ACTIONS: tuple[_Action, ...] = (
    _Action(
        "recency", 0, "Convert: a first-purchase offer, a welcome incentive and the bestsellers."
    ),
    _Action(
        "recency", 1, "Win back: a reminder of what they bought, with a time-limited incentive."
    ),
    _Action("cycle", 0, "Earn the second order: a follow-up within weeks with a reason to return."),
    _Action("value", 1, "Retain and reward: early access, loyalty perks, personal service."),
    _Action(
        "frequency",
        1,
        "Keep the habit going: replenishment reminders and a loyalty programme.",
        ongoing=True,
    ),
    _Action(
        "cycle",
        -1,
        "Keep the habit going: replenishment reminders timed to their cycle.",
        ongoing=True,
    ),
    # All came back where most did not (profiling.repeat), with no more orders than most; on
    # CDNOW they had last bought 14 months ago, as had everyone: neither "keep the habit"
    # (they may have lost it) nor a first-purchase offer (they have bought, twice).
    _Action(
        REPEAT_WORD,
        1,
        "Invite them back: they have returned before; a reminder of what they bought and a "
        "loyalty invitation.",
    ),
    _Action("tenure", -1, "Onboard: a welcome series that leads to the second purchase."),
    _Action(
        "returns",
        1,
        "Cut returns: sizing and product guidance; keep them out of deep-discount pushes.",
    ),
    _Action("recency", -1, "Strike while it is warm: recommendations based on the last purchase."),
    _Action("basket", 1, "Upsell and bundle: premium ranges and complementary products.", True),
    _Action(
        "basket",
        -1,
        "Raise the basket: a free-delivery threshold and bundles just above their usual order.",
        True,
    ),
    _Action(
        "category",
        1,
        "Cross-sell around their favourite category: new arrivals and complements.",
        True,
    ),
    _Action("engagement", 1, "Convert engagement: targeted offers where they already engage."),
    _Action("engagement", -1, "Re-engage: test a new channel or a lighter message frequency."),
    _Action(
        "engagement recency", 1, "Re-engage: test a new channel or a lighter message frequency."
    ),
    _Action("frequency", -1, "Grow frequency: cross-sell and a reason to come back soon.", True),
    _Action("cycle", 1, "Grow frequency: cross-sell and a reason to come back soon.", True),
    _Action("tenure", 1, "Recognise their loyalty: anniversary thanks and member-only previews."),
    _Action("value", -1, "Serve efficiently: automated campaigns, low-cost channels."),
    _Action("spending", 1, "Retain and reward: early access, loyalty perks, personal service."),
    _Action("spending", -1, "Serve efficiently: automated campaigns, low-cost channels."),
    # Attributes a customer table without orders holds (a CRM export, a panel).
    _Action("income", 1, "Lead with premium: quality, exclusivity and service over discounts."),
    _Action("income", -1, "Lead with value: price-led offers, bundles and everyday essentials."),
    _Action("discount", 1, "Deal-led: time-limited promotions and bundles they can act on."),
    _Action("discount", -1, "Protect margin: full-price launches and service, not discounts."),
    _Action("children", 1, "Speak to the family: household bundles, timed to school holidays."),
    _Action("household", 1, "Speak to the household: family bundles and larger packs."),
    _Action(
        "intent",
        1,
        "Close the sale: a reminder of what they left in the cart, with one reason to buy now.",
    ),
    _Action(
        "loyalty",
        1,
        "Reward the loyalty: member perks, referral rewards, first looks at new lines.",
    ),
    _Action(
        "loyalty",
        -1,
        "Earn their preference: a loyalty programme with a first reward they reach quickly.",
    ),
)
_DEFAULT = "Test a tailored message against a control group to learn what moves them."

#: For segments of B2B accounts (``level: account``): the same reading of the traits, in the
#: terms account teams work in, plus the roll-ups only an account has.
_ACCOUNT_ACTIONS: tuple[_Action, ...] = (
    _Action("recency", 0, "Land the first order: a trial or pilot offer from the account owner."),
    _Action(
        "recency",
        1,
        "Win the account back: the account owner calls their last buyer, with a "
        "reason to reorder this quarter.",
    ),
    _Action(
        "buyer concentration",
        1,
        "Multi-thread the account: one buyer holds it; introduce "
        "other teams before that person moves on.",
    ),
    _Action(
        "value",
        1,
        "Protect and expand: a named account manager, quarterly business reviews, "
        "an executive sponsor.",
    ),
    _Action(
        "buying committee",
        1,
        "Run an account-based programme: content for each role in the buying committee.",
    ),
    _Action("cycle", 0, "Land the second order: a follow-up from sales within weeks."),
    _Action(
        "frequency",
        1,
        "Lock in the routine: a supply agreement or subscription with volume pricing.",
    ),
    _Action("tenure", -1, "Onboard the account: training and a success plan for every new user."),
    _Action(
        "buying committee",
        -1,
        "Widen the relationship: bring their colleagues in through product training and events.",
    ),
    _Action("company size", 1, "Expand: map the divisions not buying yet and open them.", True),
    _Action(
        "category", 1, "Cross-sell the next product line, led by the one they already use.", True
    ),
    _Action(
        "recency", -1, "Build on the last order: a check-in on how it is going, and the next step."
    ),
    _Action(
        "frequency", -1, "Grow share of wallet: a reason to consolidate orders with you.", True
    ),
    _Action("value", -1, "Serve efficiently: self-serve ordering and inside sales."),
    _Action("engagement", -1, "Re-engage: new contacts, a new channel or an event invitation."),
    # Target accounts before their first order (no orders: contacts and activity only).
    _Action(
        "contacts",
        -1,
        "Map the account: find the decision makers and open a second and third conversation.",
    ),
    _Action(
        "contacts",
        1,
        "Coordinate the account: one owner, a plan for each person you know there.",
    ),
)


def _matches(traits: Sequence[Trait], *, protect_margin: bool, lapsed: bool) -> list[str]:
    """Every action the traits call for, strongest trait first.

    A lapsed segment is won back before anything else: CDNOW's "Big-basket lapsed" cluster
    (last order 16 months ago) was told to "Upsell and bundle", and its "Lapsed occasional"
    one-time buyers to "Grow frequency", when neither still buys.
    """
    found: list[str] = []
    for trait in traits:
        if trait.word in ("", NEWER) or contradicted(trait, traits):
            # A trait too weak to name or act on (a 6-month tenure is "newer", not "new"), or
            # one another trait on the card reads against (more orders, but further apart),
            # leads no action.
            continue
        direction = 0 if trait.kind == "missing" else trait.direction
        concept = REPEAT_WORD if trait.word == REPEAT_WORD else concept_key(trait)
        for action in _ACCOUNT_ACTIONS if unit() == "account" else _ACTIONS:
            if action.concept != concept or action.direction != direction:
                continue
            held = action.grows_spend and (protect_margin or lapsed)
            if held or (lapsed and action.ongoing):
                continue
            text = _share_of_wallet(action, traits) or _on_channel(action, trait, traits)
            if text not in found:
                found.append(text)
    return found


#: For customers who could spend more than they do: richer than most, spending less.
_SHARE_OF_WALLET = (
    "Grow share of wallet: they can afford more than they spend with you; personal "
    "recommendations and introductions to premium lines."
)


def _share_of_wallet(action: _Action, traits: Sequence[Trait]) -> str | None:
    """Low spend from an affluent segment is headroom, not a segment to serve cheaply."""
    if action.concept not in ("value", "spending") or action.direction != -1:
        return None
    affluent = any(
        concept_key(t) == "income" and t.kind == "numeric" and t.direction > 0 for t in traits
    )
    return _SHARE_OF_WALLET if affluent and unit() == "customer" else None


def _on_channel(action: _Action, trait: Trait, traits: Sequence[Trait]) -> str:
    """Act where they engage: "targeted offers by email", "close the sale in the app"."""
    if action.direction != 1 or action.concept not in ("engagement", "intent"):
        return action.text
    engaged = trait if action.concept == "engagement" else _channel_trait(traits)
    channel = channel_of(engaged.feature) if engaged and engaged.kind == "numeric" else None
    if channel is None:
        return action.text
    where = _WHERE.get(channel, f"by {channel}")
    if action.concept == "intent":
        return action.text.replace("Close the sale:", f"Close the sale {where}:")
    return f"Convert engagement: targeted offers {where}, where they already engage."


#: How an action is said to reach a channel ("by email", "in the app").
_WHERE = {
    "app": "in the app",
    "mobile": "in the app",
    "web": "on the website",
    "site": "on the website",
    "push": "by push notification",
    "social": "on social media",
}


def _channel_trait(traits: Sequence[Trait]) -> Trait | None:
    """The strongest engagement on a named channel (email clicks, app sessions), if any."""
    return next(
        (
            t
            for t in traits
            if t.kind == "numeric"
            and t.direction > 0
            and concept_key(t) == "engagement"
            and channel_of(t.feature)
        ),
        None,
    )


def _loses_money(value_mean: float | None, population_value: float | None) -> bool:
    if value_mean is None or math.isnan(value_mean):
        return False
    if value_mean <= 0:
        return True
    return population_value is not None and value_mean < NEAR_ZERO_VALUE * population_value


def _never_bought(traits: Sequence[Trait]) -> bool:
    return any(concept_key(t) == "recency" and t.kind == "missing" for t in traits)


def _lapsed(traits: Sequence[Trait]) -> bool:
    """Whether the segment is named for not buying lately (a lapsed trait no other contradicts)."""
    return any(
        concept_key(t) == "recency"
        and t.kind == "numeric"
        and t.direction > 0
        and t.word != ""
        and not contradicted(t, traits)
        for t in traits
    )


def _returns_much(traits: Sequence[Trait]) -> bool:
    return any(
        concept_key(t) == "returns" and t.direction > 0 and t.kind == "numeric" for t in traits
    )


def population_value(profiles: SegmentProfiles) -> float | None:
    """The mean value per customer over every segment with a value (size-weighted).

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> population_value(P(segments=[P(size=1, value_mean=10.0), P(size=3, value_mean=2.0)]))
    4.0
    """
    valued = [(p.size, p.value_mean) for p in profiles.segments if p.value_mean is not None]
    total = sum(size for size, _ in valued)
    return sum(size * value for size, value in valued) / total if total else None


def suggested_actions(
    profiles: SegmentProfiles,
    among: Callable[[SegmentProfile], bool] | None = None,
    *,
    currency: str | None = None,
) -> dict[int, str]:
    """One action for each segment of ``profiles`` (or those ``among`` keeps), by label.

    No action is repeated (see :func:`suggest_actions`); a tie goes to the segment with
    more revenue (more customers, where there is no value). Losses are judged against
    the mean value of every segment (:func:`population_value`).
    """
    ranked = sorted(
        (p for p in profiles.segments if among is None or among(p)),
        key=lambda p: (-p.size * max(p.value_mean or 0.0, 0.0), -p.size),
    )
    actions = suggest_actions(
        [(p.trait_details, p.value_mean) for p in ranked],
        population_value(profiles),
        currency=currency,
    )
    return dict(zip([p.label for p in ranked], actions, strict=True))


def suggest_action(
    traits: Sequence[Trait],
    *,
    value_mean: float | None = None,
    population_value: float | None = None,
    currency: str | None = None,
) -> str:
    """The first matching action for a segment's traits (strongest trait first).

    Examples
    --------
    >>> from segwise.profiling.traits import Trait
    >>> suggest_action([Trait("recency_days", "numeric", 1, 2.0, "")])
    'Win back: a reminder of what they bought, with a time-limited incentive.'
    >>> suggest_action([Trait("avg_order_value", "numeric", 1, 2.0, "")], value_mean=-44.0)[:20]
    'Hold back paid offer'
    """
    return suggest_actions([(traits, value_mean)], population_value, currency=currency)[0]


def suggest_actions(
    segments: Sequence[tuple[Sequence[Trait], float | None]],
    population_value: float | None = None,
    *,
    currency: str | None = None,
) -> list[str]:
    """One action per segment of a segmentation, none repeated.

    ``segments`` is each segment's ranked traits and mean value per customer,
    the segment that matters most first. Each segment's matching actions form a
    list, its strongest trait's first, and the actions are shared out so that,
    in all, segments go as few places down their lists as they can, an earlier
    segment winning a tie (:func:`~segwise.profiling.action_sharing.share_out`).

    Examples
    --------
    >>> from segwise.profiling.traits import Trait
    >>> often, recent, valuable = (Trait(f, "numeric", d, 2.0, "") for f, d in
    ...     [("orders", 1), ("recency_days", -1), ("net_revenue", 1)])
    >>> found = suggest_actions([([often, recent], None), ([valuable], None),
    ...                          ([often, valuable], None)])
    >>> [a.split(":")[0] for a in found]
    ['Strike while it is warm', 'Retain and reward', 'Keep the habit going']
    """
    choices = [
        _options(traits, value_mean, population_value, currency) for traits, value_mean in segments
    ]
    return share_out([traits for traits, _ in segments], choices)


def _options(
    traits: Sequence[Trait],
    value_mean: float | None,
    population_value: float | None,
    currency: str | None,
) -> list[str]:
    """Every action for one segment, best first, ending with the default."""
    # Nothing bought is no money lost to returns: they get a first-purchase offer.
    losing = _loses_money(value_mean, population_value) and not _never_bought(traits)
    options = _matches(
        traits, protect_margin=losing or _returns_much(traits), lapsed=_lapsed(traits)
    )
    if losing:
        shown = money(value_mean if value_mean is not None else 0.0, currency)
        options.insert(
            0,
            f"Hold back paid offers: net value is {shown} per {unit()} (returns and refunds "
            "cancel their purchases); fix the cause before spending on them.",
        )
    options.append(_DEFAULT)
    return options
