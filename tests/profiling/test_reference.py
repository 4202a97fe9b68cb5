"""Traits that name the group they compare with."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from segwise.profiling.reference import against


def test_every_comparison_names_the_group_once() -> None:
    trait = "otherwise near the average: orders; far above average on visits, below average on AOV"
    assert against(trait, "VIP") == (
        "otherwise near the average in 'VIP': orders; far above the average in 'VIP' on visits, "
        "below the average in 'VIP' on AOV"
    )


def test_a_typical_member_of_any_unit_is_of_the_group() -> None:
    assert against("typical order worth 30 (typical account: 25.50)", "Big firms") == (
        "typical order worth 30 (typical account in 'Big firms': 25.50)"
    )


COMPARISONS = ["the average", "as often as average", "far below average", "above average",
               "(typical customer:", "(typical account:", "(average 3%)",
               "(35% overall)"]  # fmt: skip
OTHER = ["spends", "1.7×", "(494 vs 1,038)", "orders", "averages", "typically", "near", ";"]


@given(st.lists(st.sampled_from(COMPARISONS + OTHER), max_size=12))
def test_each_comparison_names_the_group_and_nothing_else_changes(words: list[str]) -> None:
    trait = " ".join(words)
    named = against(trait, "VIP")
    assert named.count("'VIP'") == sum(w in COMPARISONS for w in words)
    # Taking the group back out leaves the words as they were ("average" gains its "the").
    back = named.replace(" in 'VIP'", "").replace("as the average", "as average")
    back = back.replace("far below the average", "far below average")
    back = back.replace("(average: 3%)", "(average 3%)").replace("(35%)", "(35% overall)")
    assert back.replace("above the average", "above average") == trait
