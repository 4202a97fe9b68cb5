"""A name kept with a frozen model, checked against the segment now."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from segwise.profiling import vocabulary
from segwise.profiling.name_fit import unfit_words
from segwise.profiling.traits import NEW_CUSTOMER_DAYS, RECENT_DAYS
from segwise.profiling.value_words import MID_VALUE

FEATURES = ("net_revenue", "orders", "recency_days", "tenure_days", "avg_order_value")
LIMITS = {"recency_days": RECENT_DAYS, "tenure_days": NEW_CUSTOMER_DAYS}


@given(
    st.sampled_from(FEATURES),
    st.floats(0.05, 20).filter(lambda x: abs(x - 1) > 1e-9),
    st.floats(1, 2_000),
)
def test_a_word_fits_exactly_when_the_numbers_agree(
    feature: str, lift: float, median: float
) -> None:
    row = [{"feature": feature, "median": median, "lift": lift}]
    above, below = vocabulary.name_word(feature, 1), vocabulary.name_word(feature, -1)
    assert above and below
    # The word for the side the segment is on fits, unless past its limit ("recent", "new").
    own, other = (above, below) if lift > 1 else (below, above)
    past = lift < 1 and median > LIMITS.get(feature, float("inf"))
    assert bool(unfit_words(f"{own.capitalize()} customers", row)) == past
    assert [w for w, _ in unfit_words(f"{other.capitalize()} customers", row)] == [other]
    # Words of other features are not this row's business.
    assert unfit_words("Typical customers", row) == []


def test_the_evidence_reads_in_words() -> None:
    row = [{"feature": "tenure_days", "median": 200.0, "lift": 0.5}]
    [(word, evidence)] = unfit_words("New big-basket customers", row)
    assert word == "new" and evidence == "tenure: 7 months for the typical member"


def test_a_word_several_features_give_fits_while_one_of_them_bears_it_out() -> None:
    # The sample CRM table's "Frequent add to cart engaged customers" were engaged by their
    # app sessions (2.7x); the reused model was told 'engaged' no longer fit, from their email
    # clicks (0x). Channels now have their own words; events without one share "engaged".
    rows = [
        {"feature": "visit_30d", "median": 0.0, "lift": 0.0},
        {"feature": "login_30d", "median": 1.0, "lift": 2.7},
    ]
    assert unfit_words("Engaged customers", rows) == []
    rows[1]["lift"] = 0.5
    [(word, evidence)] = unfit_words("Engaged customers", rows)
    assert word == "engaged" and evidence.startswith("visit 30d: 0.00x")
    channels = [
        {"feature": "email_click_30d", "median": 0.0, "lift": 0.0},
        {"feature": "app_session_30d", "median": 1.0, "lift": 2.7},
    ]
    assert unfit_words("App-engaged customers", channels) == []
    assert [w for w, _ in unfit_words("Email-engaged customers", channels)] == ["email-engaged"]


def test_newer_no_longer_fits_a_segment_that_has_aged_past_the_rest() -> None:
    aged = [{"feature": "tenure_days", "median": 400.0, "lift": 1.3}]
    assert unfit_words("Newer big-basket customers", aged) == [
        ("newer", "tenure: 1.30x the average")
    ]
    still = [{"feature": "tenure_days", "median": 400.0, "lift": 0.7}]
    assert unfit_words("Newer customers", still) == []  # relative: no 90-day limit


def test_a_mid_value_name_no_longer_fits_below_the_average() -> None:
    below = [{"feature": "net_revenue", "median": 40.0, "lift": 0.8}]
    above = [{"feature": "net_revenue", "median": 90.0, "lift": 1.3}]
    assert [word for word, _ in unfit_words("Frequent mid-value customers", below)] == [MID_VALUE]
    assert unfit_words("Frequent mid-value customers", above) == []
