"""Small groups: their size shows as "< k_min" and nothing describes them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from segwise.privacy.small_groups import protect_card, protect_count, protect_kpis

KEYS = ["matches", "alone", "name", "share"]
CARD = {
    "name": "VIP",
    "size": 3,
    "share": 0.01,
    "revenue_share": 0.2,
    "value_mean": 812.5,
    "traits": ["spend 8× the average"],
    "lift": {"net_revenue": 8.0},
    "predicted_revenue": {"30": 12.0},
    "definition": "net_revenue > 5000",
    "action": "VIP service",
}


def test_a_small_segment_keeps_its_name_and_definition_and_nothing_that_counts_it() -> None:
    shown = protect_card(CARD, 10)
    assert (shown["size"], shown["size_below"]) == (None, 10)
    assert shown["share"] is None and shown["revenue_share"] is None
    assert shown["value_mean"] is None
    assert shown["traits"] == [] and shown["lift"] == {} and shown["predicted_revenue"] == {}
    assert (shown["name"], shown["definition"], shown["action"]) == (
        "VIP",
        "net_revenue > 5000",
        "VIP service",
    )
    assert protect_card(CARD, 3) == {**CARD, "size_below": None}  # 3 people, k_min 3: shown


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=100))
def test_no_count_under_k_min_is_ever_shown(size: int, k_min: int) -> None:
    card = protect_card({**CARD, "size": size}, k_min)
    kpis = protect_kpis({"segment": "VIP", "customers": size, "conversion": {"value": 0.1}}, k_min)
    count = protect_count(size, k_min)
    for shown in (card["size"], kpis["customers"], count):
        assert shown is None or shown >= k_min
    assert (card["size"] is None) == (size < k_min) == (kpis["customers"] is None)
    if size >= k_min:
        assert card["traits"] == CARD["traits"] and "conversion" in kpis
    else:
        assert card["traits"] == [] and "conversion" not in kpis


@given(
    st.recursive(
        st.integers(min_value=0, max_value=50),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
        ),
        max_leaves=12,
    ),
    st.integers(min_value=1, max_value=40),
)
def test_nested_counts_under_k_min_are_hidden_and_nothing_else_changes(
    value: object, k_min: int
) -> None:
    from segwise.privacy.small_groups import COUNT_KEYS, protect_counts

    def walk(before: object, after: object, key: str | None) -> None:
        if isinstance(before, list):
            assert isinstance(after, list) and len(after) == len(before)
            for b, a in zip(before, after, strict=True):
                walk(b, a, None)
        elif isinstance(before, dict):
            assert isinstance(after, dict) and after.keys() == before.keys()
            for k in before:
                derived = k == "share" and after[k] is None and "matches" in before
                if not derived:
                    walk(before[k], after[k], k)
        elif key in COUNT_KEYS and isinstance(before, int) and 0 < before < k_min:
            assert after is None
        else:
            assert after == before

    walk(value, protect_counts(value, k_min), None)
