"""Marketer language: business words, material traits only, honest NULLs, value-aware actions."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from segwise.profiling import profile_segments
from segwise.profiling.actions import suggest_action, suggest_actions
from segwise.profiling.amounts import duration, money
from segwise.profiling.traits import (
    Trait,
    auto_names,
    category_trait,
    missing_trait,
    numeric_trait,
)
from segwise.profiling.vocabulary import concept_of, name_word

COLUMN = st.from_regex(r"[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,8}){0,4}", fullmatch=True)


@given(
    column=COLUMN,
    mean=st.floats(0, 1e6),
    overall=st.floats(0.01, 1e6),
    spread=st.floats(0.01, 1e6),
)
def test_no_trait_or_name_ever_shows_a_column_name(
    column: str, mean: float, overall: float, spread: float
) -> None:
    trait = numeric_trait(column, mean, overall, spread, mean, overall, spread)
    if trait is not None:
        assert "_" not in trait.text
        word = name_word(column, trait.direction)
        assert word is None or "_" not in word
    names = auto_names({0: [Trait(column, "numeric", 1, 1.0, "")]})
    assert "_" not in names[0]
    absent = missing_trait(column, 0.9, 0.1)
    assert absent is not None and "_" not in absent.text
    level = category_trait(column, "some_level", 0.7, 0.2)
    assert level is not None and "_" not in level.text and "_" not in (level.word or "")


def test_concepts_read_in_units_people_use() -> None:
    tenure = numeric_trait("tenure_days", 300.0, 120.0, 90.0, 305.0, 100.0, 80.0)
    assert (
        tenure is not None and tenure.text == "customer for 10 months (typical customer: 3 months)"
    )
    spend = numeric_trait("net_revenue", 900.0, 300.0, 400.0, 800.0, 200.0, currency="EUR")
    assert spend is not None and spend.text == "spends 3.0× the average (€900 vs €300)"
    # Both amounts of a comparison in one precision: "(£71 vs £474)", not "(£70.56 vs £474)".
    low = numeric_trait("net_revenue", 70.56, 474.0, 400.0, 60.0, 300.0, 350.0, currency="GBP")
    assert low is not None and low.text == "spends 0.1× the average (£71 vs £474)"
    assert (duration(1), duration(21), duration(400)) == ("1 day", "3 weeks", "13 months")
    assert money(-44.0, "GBP") == "-£44.00" and money(1500.0, "usd") == "$1,500"


@given(st.floats(1, 3_000), st.floats(1, 3_000))
def test_two_durations_of_about_one_length_are_said_in_one_unit(a: float, b: float) -> None:
    # Online Retail: "buys again every 2 months (typical customer: 8 weeks)" for 72 against 59
    # days read as no difference.
    shown, beside = duration(a, beside=b), duration(b, beside=a)
    if max(a, b) < 1.5 * min(a, b):
        assert shown.split()[-1].rstrip("s") == beside.split()[-1].rstrip("s")
    else:
        assert shown == duration(a)


def test_the_two_gaps_between_orders_read_as_what_they_measure() -> None:
    # Online Retail's RFM cards: Champions "buys again every 3 weeks (typical customer: 7
    # weeks)" from the last gap, Potential Loyalists "every 3 months (typical customer: 8
    # weeks)" from the mean gap: one report, two typical customers for one sentence.
    rhythm = numeric_trait("inter_purchase_mean_days", 95.0, 78.0, 66.0, 72.0, 59.0, 50.0)
    last = numeric_trait("inter_purchase_last_days", 36.0, 75.0, 75.0, 22.0, 47.0, 60.0)
    assert rhythm is not None and last is not None
    assert rhythm.text == "buys again every 10 weeks (typical customer: 8 weeks)"
    assert last.text == "waited 3 weeks between their last two orders (typical customer: 7 weeks)"
    assert rhythm.concept == last.concept == "cycle"  # one card says one of them


def test_a_score_is_not_money_whatever_its_name_says() -> None:
    # Mall Customers' "Spending Score (1-100)" read "spends 1.6× the average (82.11 vs 50.20)",
    # in euros in a project, and named its segments "High-value" and "Low-value".
    score = numeric_trait(
        "Spending Score (1-100)", 82.1, 50.2, 25.8, 83.0, 50.0, 38.0, currency="EUR"
    )
    assert score is not None and "spends" not in score.text and "€" not in score.text
    # A score's zero is arbitrary: its own scale reads, not a ratio ("1.6× the average").
    assert score.text == "spending score 82.1 (average 50.2)"
    assert name_word("Spending Score (1-100)", 1) == "high-spending"
    assert name_word("Spending Score (1-100)", -1) == "low-spending"
    rating = numeric_trait("customer_rating", 3.1, 4.2, 0.6, 3.0, 4.0, 0.8)
    assert rating is not None and rating.text == "customer rating 3.10 (average 4.20)"
    assert name_word("customer_rating", -1) == "low customer rating"
    assert name_word("satisfaction_score", 1) == "high satisfaction score"
    assert name_word("Annual Income (k$)", 1) == "affluent"  # a concept still wins


def test_an_amount_reads_in_the_unit_its_column_name_declares() -> None:
    # Mall Customers' income read "annual income (k$): 0.8× the average (47.60 vs 60.56)":
    # thousands of dollars shown as if pence, and the unit left in the label.
    income = numeric_trait("Annual Income (k$)", 47.6, 60.56, 26.3, 48.0, 61.5, 36.5)
    assert income is not None
    assert income.text == "annual income: 0.8× the average ($47.6k vs $60.6k)"
    # The name is believed over the project's currency; a name without a unit is not changed.
    declared = numeric_trait("revenue (EUR m)", 3.1, 1.2, 1.0, 3.0, 1.0, 1.0, currency="GBP")
    assert declared is not None and declared.text == "spends 2.6× the average (€3.1m vs €1.2m)"
    plain = numeric_trait("income", 47.6, 60.56, 26.3, 48.0, 61.5, 36.5, currency="USD")
    assert plain is not None and plain.text.endswith("($47.60 vs $60.56)")


def test_a_difference_the_reader_cannot_see_is_no_trait() -> None:
    # Issue 11: "return_rate 0.8× the average (0.03 vs 0.03)".
    assert numeric_trait("return_rate", 0.025, 0.03, 0.01, 0.0, 0.0, 0.02) is None
    # Medians of 16 months against 16 months, however large the standardised difference.
    assert numeric_trait("tenure_days", 490.0, 480.0, 10.0, 492.0, 484.0, 12.0) is None
    # 1.04× the average on the mean is not worth a line.
    assert numeric_trait("net_revenue", 434.0, 419.0, 300.0, 300.0, 250.0, 200.0) is None


def test_mean_and_median_pointing_apart_give_no_direction() -> None:
    # The typical member buys more, the mean says less: any name would contradict a number.
    assert numeric_trait("orders", 3.6, 4.5, 2.0, 3.0, 2.0, 2.0) is None


def test_null_is_no_second_order_yet_not_almost_none() -> None:
    table = pl.DataFrame(
        {
            "inter_purchase_mean_days": [None] * 9 + [30.0] + [20.0, 25.0, 30.0, 35.0] * 5,
            "orders": [1] * 10 + [3, 4, 5, 6] * 5,
            "segment": ["once"] * 10 + ["again"] * 20,
        }
    )
    profiles = profile_segments(table, "segment", definitions=False)
    once = next(p for p in profiles.segments if p.segment == "once")
    assert once.traits[0] == "90% have no second order yet (30% overall)"
    assert not any("almost" in t for t in once.traits)
    assert "One-time" in once.name or "one-time" in once.name


def test_new_is_only_said_of_customers_who_joined_recently() -> None:
    # Issue 11: "Lapsed new customers" with a 186-day tenure.
    newish = numeric_trait("tenure_days", 186.0, 400.0, 150.0, 186.0, 420.0, 200.0)
    assert newish is not None and newish.word == "newer"
    # Said against the rest, never onboarded: a sign-up table's latest joiners (6 months
    # against 14) were "Typical customers, lower tenure" beside the "Typical customers".
    assert auto_names({0: [newish], 1: []}) == {0: "Newer customers", 1: "Typical customers"}
    assert "Onboard" not in suggest_action([newish])
    new = numeric_trait("tenure_days", 30.0, 400.0, 150.0, 25.0, 420.0, 200.0)
    assert new is not None and new.word == "new"


def test_recent_is_only_said_of_customers_who_bought_recently() -> None:
    # CDNOW at the end of 1997, a cohort that had mostly lapsed: a cluster that "last bought 8
    # months ago (typical customer: 10 months)" was told to strike while it is warm.
    lately = numeric_trait("recency_days", 240.0, 300.0, 120.0, 240.0, 300.0, 150.0)
    assert lately is not None and lately.word == ""
    assert "Recent" not in auto_names({0: [lately]})[0]
    assert "warm" not in suggest_action([lately])
    recent = numeric_trait("recency_days", 40.0, 90.0, 60.0, 35.0, 80.0, 70.0)
    assert recent is not None and recent.word == "recent"
    assert "warm" in suggest_action([recent])


def test_more_orders_further_apart_name_neither() -> None:
    # Online Retail's "Stable" segment: 5.1 orders against 4.1, but a purchase every 3 months
    # against 8 weeks. "Recent frequent customers" read against its own card.
    recent = Trait("recency_days", "numeric", -1, 0.9, "", word="recent", concept="recency")
    more = Trait("orders", "numeric", 1, 0.5, "", word="frequent", concept="frequency")
    slower = Trait(
        "inter_purchase_mean_days", "numeric", 1, 0.4, "", word="slow-repeat", concept="cycle"
    )
    assert auto_names({0: [recent, more, slower]})[0] == "Recent customers"
    assert auto_names({0: [recent, more]})[0] == "Recent frequent customers"
    habit = suggest_action([more, slower])
    assert "habit" not in habit and "Grow frequency" not in habit
    # Fewer orders and further apart agree: both words stand.
    fewer = Trait("orders", "numeric", -1, 0.5, "", word="occasional", concept="frequency")
    assert auto_names({0: [fewer, slower]})[0] == "Occasional slow-repeat customers"


def test_names_never_differ_only_by_a_number() -> None:
    same = [Trait("recency_days", "numeric", 1, 2.0, "")]
    names = auto_names(
        {0: same, 1: same, 2: same},
        means={
            0: {"recency_days": 200.0, "avg_order_value": 20.0},
            1: {"recency_days": 210.0, "avg_order_value": 80.0},
            2: {"recency_days": 205.0, "avg_order_value": 21.0},
        },
    )
    assert names[0] == "Lapsed customers"
    assert names[1] == "Lapsed customers, higher basket size"
    plain = [
        " ".join(ch for ch in n if not ch.isdigit() and ch not in "()") for n in names.values()
    ]
    assert len(set(plain)) == 3


def test_segments_that_lose_money_never_get_an_upsell() -> None:
    # Issue 11: a cluster with negative average value (-44) was told to "Upsell and bundle".
    big_basket = [Trait("avg_order_value", "numeric", 1, 2.0, "")]
    assert suggest_action(big_basket).startswith("Upsell")
    losing = suggest_action(big_basket, value_mean=-44.0, currency="GBP")
    assert losing.startswith("Hold back paid offers") and "-£44.00" in losing
    assert "Upsell" not in losing
    near_zero = suggest_action(big_basket, value_mean=3.0, population_value=500.0)
    assert near_zero.startswith("Hold back")


def test_one_segmentation_never_repeats_an_action() -> None:
    recent = [
        Trait("recency_days", "numeric", -1, 2.0, ""),
        Trait("orders", "numeric", -1, 1.0, ""),
    ]
    actions = suggest_actions([(recent, 100.0), (recent, 90.0), (recent, 80.0)], 100.0)
    assert len(set(actions)) == 3
    assert actions[0].startswith("Strike while") and actions[1].startswith("Grow frequency")


def test_days_since_a_customer_table_date_read_as_that_date_not_a_purchase() -> None:
    # A CRM column days_since_last_login read "last bought 6 weeks ago", and its NULLs "have
    # never bought".
    login = numeric_trait("days_since_last_login", 45.0, 5.0, 10.0, 42.0, 3.0, 8.0)
    assert login is not None and login.text == "last active 6 weeks ago (typical customer: 3 days)"
    renewal = numeric_trait("days_since_last_renewal", 400.0, 100.0, 90.0, 380.0, 90.0, 60.0)
    assert renewal is not None
    assert renewal.text == "last renewal 12 months ago (typical customer: 3 months)"
    assert name_word("days_since_last_renewal", 1) is None  # a date alone names nothing
    signed_up = numeric_trait("days_since_signup_date", 300.0, 120.0, 90.0, 305.0, 100.0, 80.0)
    assert signed_up is not None and signed_up.text.startswith("customer for 10 months")
    unknown = missing_trait("days_since_last_renewal", 0.8, 0.2)
    assert unknown is not None and unknown.text.startswith("80% have no last renewal")
    ordered = numeric_trait("days_since_last_order", 200.0, 50.0, 40.0, 190.0, 45.0, 30.0)
    assert ordered is not None and ordered.text.startswith("last bought 6 months ago")


def test_active_on_the_as_of_day_is_not_zero_days_ago() -> None:
    # A CRM segment of the newest members read "last active 0 days ago (typical customer: 23
    # months)".
    today = numeric_trait("days_since_last_login", 0.3, 600.0, 300.0, 0.0, 700.0, 500.0)
    assert today is not None
    assert today.text == "last active on the as-of date (typical customer: 23 months)"


def test_psychographic_and_intent_columns_have_their_words() -> None:
    assert name_word("price_sensitivity", 1) == "price-sensitive"
    assert name_word("price_sensitivity", -1) == "price-insensitive"
    assert name_word("brand_loyalty", 1) == "brand-loyal"
    assert name_word("add_to_cart_30d", 1) == "high-intent"
    assert name_word("add_to_cart_30d", -1) is None  # few carts is not a name


def test_a_support_ticket_is_not_an_order_ticket() -> None:
    # "ticket" (average ticket: order value) named support-ticket counts "big-basket".
    assert concept_of("support_tickets_30d") is None
    assert name_word("support_tickets_30d", 1) == "frequent support tickets"
    assert [concept_of(c).key for c in ("avg_ticket", "ticket_size")] == ["basket", "basket"]


def test_a_name_says_one_time_or_occasional_never_both() -> None:
    # Online Retail II's "One-time buyers" rule segment (1 order against 3.9 on average, none
    # with a second) was named "Occasional one-time customers": one idea said twice.
    fewer = numeric_trait("orders", 1.0, 3.85, 6.0, 1.0, 2.0, 3.0)
    once = missing_trait("inter_purchase_mean_days", 1.0, 0.4)
    lapsed = numeric_trait("recency_days", 200.0, 60.0, 80.0, 190.0, 55.0, 90.0)
    assert fewer is not None and fewer.word == "occasional"
    assert once is not None and once.word == "one-time" and lapsed is not None
    assert auto_names({0: [fewer, once]})[0] == "One-time customers"
    assert auto_names({0: [once, fewer]})[0] == "One-time customers"
    # The freed place goes to the next idea, and "occasional" still names where no one-time is.
    assert auto_names({0: [fewer, once, lapsed]})[0] == "One-time lapsed customers"
    assert auto_names({0: [fewer, lapsed]})[0] == "Occasional lapsed customers"
    # RFM's Need Attention: 1.7 orders, 54% with none after the first. "One-time" is true of
    # half of it; "occasional" of all of it.
    half = missing_trait("inter_purchase_mean_days", 0.54, 0.35)
    assert half is not None and half.word == "one-time"
    assert auto_names({0: [fewer, half, lapsed]})[0] == "Occasional lapsed customers"
    assert auto_names({0: [half, fewer]})[0] == "Occasional customers"
    # The idea keeps the rank of its stronger trait: a rule's new customers (76% with no
    # second order) were "New one-time customers", and are not "New recent customers".
    new = numeric_trait("tenure_days", 35.0, 240.0, 100.0, 35.0, 240.0, 150.0)
    recent = numeric_trait("recency_days", 28.0, 60.0, 80.0, 28.0, 50.0, 90.0)
    most = missing_trait("inter_purchase_mean_days", 0.76, 0.35)
    assert new is not None and recent is not None and most is not None
    assert auto_names({0: [new, most, recent, fewer]})[0] == "New occasional customers"
    assert auto_names({0: [new, recent, fewer, once]})[0] == "New recent customers"
    # Alone, the missing trait names as before (most of the segment has no second order).
    assert auto_names({0: [lapsed, half]})[0] == "Lapsed one-time customers"
