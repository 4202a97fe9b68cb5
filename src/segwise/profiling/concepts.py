"""The business concepts a feature column can stand for, and how each reads.

Each concept is matched to a column by a regular expression on its name; the
first match wins, so specific patterns come before general ones. A concept
gives the words a segment name uses above and below average, the unit its
numbers are shown in, and how a missing value reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from segwise.features.elapsed import ENGAGEMENT_RECENCY, PURCHASE_RECENCY


@dataclass(frozen=True, slots=True)
class Concept:
    """How one kind of feature reads in names and traits.

    ``high``/``low`` are the name words for a segment above/below average
    (None: the direction does not make a good name). ``unit`` is ``money``,
    ``days``, ``share`` (a 0–1 fraction), ``count`` or ``number``.
    ``missing`` is the phrase for a segment where most values are NULL ("": none, another
    concept says it).
    """

    key: str
    pattern: str
    high: str | None
    low: str | None
    unit: str
    phrase: str
    missing: str | None = None
    missing_word: str | None = None
    noun: str = ""


#: What a card says of customers a model could not score (every prediction of theirs is
#: missing, so one phrase, said once, stands for all).
_NO_PREDICTION = "{share} have no prediction"

#: First match wins, so specific patterns come before general ones.
CONCEPTS: tuple[Concept, ...] = (
    # B2B accounts (segwise.features.accounts), before the general patterns they would match.
    Concept(
        "buyer concentration",
        r"top_contact_share",
        "single-buyer",
        "multi-buyer",
        "share",
        "{mean} of spend from their top buyer (average {overall_mean})",
        noun="reliance on one buyer",
    ),
    Concept(
        "buying committee",
        r"buying_committee|committee_roles|buying_contacts",
        "broad-committee",
        "single-buyer",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="buying committee",
    ),
    Concept(
        "contacts",
        r"^(active_)?contacts$",
        "well-connected",
        "thinly-connected",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="contacts",
    ),
    Concept(
        "company size",
        r"employees|headcount|company_size|staff",
        "large",
        "small",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="company size",
    ),
    Concept(
        "cycle",
        r"inter_purchase|purchase_gap|days_between",
        "slow-repeat",
        "fast-repeat",
        "days",
        "buys again every {median} (typical {unit}: {overall})",
        missing="{share} have no second order yet",
        missing_word="one-time",
        noun="time between orders",
    ),
    # BG/NBD's P(alive) of the repeat buyers alone: every one-time buyer's is 1 by the model's
    # assumption. Those without one are said by the purchase cycle ("no second order yet").
    Concept(
        "alive",
        r"p_alive_repeat",
        "likely-active",
        "at-risk",
        "share",
        "{mean} chance they are still active, of those who bought again (average {overall_mean})",
        missing="",
        noun="chance of being active",
    ),
    Concept(
        "alive",
        r"p_alive|prob_alive|probability_alive",
        "likely-active",
        "at-risk",
        "share",
        "{mean} chance they are still active (average {overall_mean})",
        missing=_NO_PREDICTION,
        noun="chance of being active",
    ),
    Concept(
        "predicted value",
        r"^clv$|_clv$|^clv_|predicted|expected_value|^ltv",
        "high-potential",
        "low-potential",
        "money",
        "predicted value {ratio} the average ({mean} vs {overall_mean})",
        missing=_NO_PREDICTION,
        noun="predicted value",
    ),
    Concept(
        "overdue",
        r"quiet_cycles|overdue",
        "overdue",
        None,
        "number",
        "quiet for {median}× the usual time between purchases (typical {unit}: {overall}×)",
        missing=_NO_PREDICTION,
        noun="time quiet, in purchase cycles",
    ),
    Concept(
        "engagement recency",
        ENGAGEMENT_RECENCY,
        "inactive",
        "active",
        "days",
        "last active {median} ago (typical {unit}: {overall})",
        missing="{share} have never engaged",
        missing_word="never-engaged",
        noun="time since last active",
    ),
    Concept(
        "recency",
        # Days since the last of anything else is not purchase recency: "days_since_last_login"
        # read "last bought 6 weeks ago".
        PURCHASE_RECENCY,
        "lapsed",
        "recent",
        "days",
        "last bought {median} ago (typical {unit}: {overall})",
        missing="{share} have never bought",
        missing_word="non-buying",
        noun="time since last order",
    ),
    Concept(
        "tenure",
        r"tenure|days_since_first|first_purchase|customer_since",
        "long-standing",
        "new",
        "days",
        "{unit} for {median} (typical {unit}: {overall})",
        missing="{share} have never bought",
        missing_word="non-buying",
        noun="tenure",
    ),
    # A customer table's sign-up date as days (sources.customers dates): tenure, in its words,
    # but a missing one is an unknown date, not a customer who never bought.
    Concept(
        "tenure",
        r"^days_since_(sign_?up|signed_?up|created|joined|join_date|registered|registration|"
        r"member_since|enrol)",
        "long-standing",
        "new",
        "days",
        "{unit} for {median} (typical {unit}: {overall})",
        missing="{share} have no joining date",
        noun="tenure",
    ),
    # Any other date of the customer table, as days before the as-of date ("last login 6
    # weeks ago"). No key: each date is its own concept, and none makes a name.
    Concept(
        "",
        r"^days_since_",
        None,
        None,
        "days",
        "{subject} {median} ago (typical {unit}: {overall})",
        missing="{share} have no {subject}",
        noun="time since {subject}",
    ),
    Concept(
        "basket",
        r"basket|order_value|aov|(avg|average|mean)_?ticket|ticket_?(size|value|amount)",
        "big-basket",
        "small-basket",
        "money",
        "typical order worth {median} (typical {unit}: {overall})",
        noun="basket size",
    ),
    Concept(
        "returns",
        r"return",
        "return-prone",
        "low-return",
        "share",
        "returns {mean} of what they buy (average {overall_mean})",
        noun="returns",
    ),
    Concept(
        "value",
        r"monetary|revenue|spend|value|sales|profit|margin",
        "high-value",
        "low-value",
        "money",
        "spends {ratio} the average ({mean} vs {overall_mean})",
        noun="value",
    ),
    Concept(
        "frequency",
        r"frequency|orders|purchases|transactions|order_count",
        "frequent",
        "occasional",
        "count",
        "buys {ratio} as often as average ({mean} vs {overall_mean} orders)",
        noun="order count",
    ),
    Concept(
        "category",
        r"^share_",
        "{subject}-focused",
        None,
        "share",
        "{mean} of their spend on {subject} (average {overall_mean})",
        noun="{subject} share",
    ),
    Concept(
        "engagement",
        r"visit|session|open|click|event|engage|view|login",
        "engaged",
        "quiet",
        "count",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="engagement",
    ),
    Concept(
        "income",
        r"income|salary|wealth",
        "affluent",
        "budget",
        "money",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="income",
    ),
    Concept(
        "age",
        r"^age$|_age$|^age_",
        "older",
        "younger",
        "number",
        "aged {median} (typical {unit}: {overall})",
        noun="age",
    ),
    # "Family" names parents; fewer children than average names nothing ("Fewer children at
    # home customers" was a CRM cluster's name).
    Concept(
        "children",
        r"child|(^|_)kids(_|$)",
        "family",
        None,
        "count",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
    ),
    Concept(
        "household",
        r"household_?size|family_?size|household$",
        "large household",
        "small household",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="household size",
    ),
    # Psychographic and intent attributes a CRM export or a panel holds.
    Concept(
        "discount",
        r"price_?sensitiv|price_?conscious",
        "price-sensitive",
        "price-insensitive",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="price sensitivity",
    ),
    Concept(
        "loyalty",
        r"brand_?loyal|loyalty$|loyalty_index",
        "brand-loyal",
        "brand-switching",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="brand loyalty",
    ),
    Concept(
        "intent",
        r"add_?to_?cart|cart_?add|added_?to_?cart|wishlist|checkout",
        "high-intent",
        None,
        "count",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="shopping intent",
    ),
    Concept(
        "discount",
        r"discount|coupon|promo",
        "deal-seeking",
        "full-price",
        "number",
        "{subject}: {ratio} the average ({mean} vs {overall_mean})",
        noun="discount use",
    ),
)

#: Categorical concepts: (key, pattern, name word for a level, trait phrase).
CATEGORY_CONCEPTS: tuple[tuple[str, str, str, str], ...] = (
    ("channel", r"channel|source|medium", "{level}-first", "{share} buy mostly via {level}"),
    (
        "region",
        r"country|region|city|state|province|market|location|geo",
        "{level}",
        "{share} in {level}",
    ),
    ("category", r"category|department|product", "{level}-focused", "{share} favour {level}"),
)

#: Scores and ratings are numbers on a scale of their own: only these read as a concept, any
#: other score by its name. A spending score (Mall Customers' "Spending Score (1-100)") rates
#: how much a customer spends; it is not money, so "spends 1.6× the average" would misread it.
SCORE_CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "spending",
        r"spend",
        "high-spending",
        "low-spending",
        "number",
        "{subject} {mean} (average {overall_mean})",
        noun="spending score",
    ),
)
