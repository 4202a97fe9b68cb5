"""Actions for segments of accounts: the same traits, read as an account team would act on them."""

from __future__ import annotations

from segwise.profiling.actions import suggest_action, suggest_actions
from segwise.profiling.traits import Trait, missing_trait
from segwise.profiling.vocabulary import counting


def _trait(feature: str, direction: int) -> Trait:
    return Trait(feature, "numeric", direction, 2.0, "", word="x", concept="")


def test_accounts_get_account_actions_and_customers_keep_theirs() -> None:
    lapsed = [_trait("recency_days", 1)]
    assert suggest_action(lapsed).startswith("Win back: a reminder")
    with counting("account"):
        assert "account owner" in suggest_action(lapsed)
        assert suggest_action([_trait("top_contact_share", 1)]).startswith("Multi-thread")
        assert "buying committee" in suggest_action([_trait("buying_committee", 1)])


def test_an_account_that_loses_money_is_told_per_account_and_never_upsold() -> None:
    with counting("account"):
        big = [_trait("employees", 1)]
        assert suggest_action(big).startswith("Expand")
        held = suggest_action(big, value_mean=-10.0, currency="USD")
    assert held.startswith("Hold back paid offers") and "per account" in held


def test_account_actions_are_not_repeated_within_a_segmentation() -> None:
    with counting("account"):
        found = suggest_actions([([_trait("recency_days", 1)], 100.0)] * 3, 100.0)
    assert len(set(found)) == 3


def test_a_return_prone_segment_is_never_told_to_buy_more() -> None:
    # Online Retail II's "Return-prone lapsed customers" (returns 28% against 3%) were told to
    # "cross-sell" once the returns and win-back actions went to larger segments.
    returners = [_trait("return_rate", 1), _trait("inter_purchase_last_days", 1)]
    taken = [([_trait("return_rate", 1)], 100.0)]
    chosen = suggest_actions([*taken, (returners, 100.0)], 100.0)[1]
    assert "cross-sell" not in chosen.lower() and "upsell" not in chosen.lower()
    everyone_else = [_trait("inter_purchase_last_days", 1)]
    assert "cross-sell" in suggest_actions([*taken, (everyone_else, 100.0)], 100.0)[1]


def test_people_who_never_bought_are_offered_a_first_purchase() -> None:
    # Their value of 0 read as money lost to returns: "Hold back paid offers: net value is £0".
    never = missing_trait("recency_days", 1.0, 0.3)
    assert never is not None
    action = suggest_action([never], value_mean=0.0, population_value=1300.0, currency="GBP")
    assert action.startswith("Convert: a first-purchase offer")
    # A segment that did buy and returned it all is still held back.
    returned = suggest_action([_trait("return_rate", 1)], value_mean=0.0, population_value=1300.0)
    assert returned.startswith("Hold back paid offers")
    with counting("account"):
        assert suggest_action([never], value_mean=0.0).startswith("Land the first order")


def test_a_customer_table_s_attributes_lead_to_an_action() -> None:
    # Mall Customers' clusters (income, age, a spending score; no orders) were all told "Test a
    # tailored message against a control group": no action read income or discount use.
    assert suggest_action([_trait("Annual Income (k$)", 1)]).startswith("Lead with premium")
    assert suggest_action([_trait("income", -1)]).startswith("Lead with value")
    assert suggest_action([_trait("coupon_use", 1)]).startswith("Deal-led")
    assert suggest_action([_trait("discount_share", -1)]).startswith("Protect margin")
    # Behaviour still leads when it is the stronger trait.
    lapsed_affluent = [_trait("recency_days", 1), _trait("income", 1)]
    assert suggest_action(lapsed_affluent).startswith("Win back")


def test_a_repeated_action_is_sharpened_by_the_segment_s_own_trait_without_stuttering() -> None:
    # Three affluent clusters all matched only "Lead with premium…": the third
    # read "Lead with premium… Lead with what sets them apart: …".
    affluent = Trait("income", "numeric", 1, 2.0, "income £88k (typical: £60k)", word="x")
    first, second, third = suggest_actions([([affluent], 100.0)] * 3, 100.0)
    assert first.startswith("Lead with premium") and second.startswith("Lead with premium")
    assert second != first and second.count("Lead with") == 1
    assert second.endswith("income £88k (typical: £60k).")
    # Alike in every trait, only one can be sharpened (it can only repeat their one trait).
    assert third.startswith("Test a tailored message")


def test_families_and_large_households_are_spoken_to_as_households() -> None:
    # The sample CRM table's largest cluster (2× the children at home) was told "Test a
    # tailored message against a control group".
    assert suggest_action([_trait("children_at_home", 1)]).startswith("Speak to the family")
    assert suggest_action([_trait("household_size", 1)]).startswith("Speak to the household")
    assert suggest_action([_trait("children_at_home", -1)]).startswith("Test a tailored")


def test_target_accounts_are_told_how_to_work_their_contacts() -> None:
    # Accounts without orders (account-based marketing) all read "Test a tailored message".
    with counting("account"):
        assert suggest_action([_trait("contacts", -1)]).startswith("Map the account")
        assert suggest_action([_trait("active_contacts", 1)]).startswith("Coordinate the account")


def test_engagement_on_a_channel_is_acted_on_there() -> None:
    # The sample CRM table's email-engaged and app-engaged clusters were both told "Convert
    # engagement: targeted offers where they already engage".
    email, app = [_trait("email_click_30d", 1)], [_trait("app_session_30d", 1)]
    by_email, by_app = suggest_actions([(email, 1.0), (app, 1.0)])
    assert "targeted offers by email" in by_email and "targeted offers in the app" in by_app
    plain = "Convert engagement: targeted offers where they already engage."
    assert suggest_action([_trait("visit_30d", 1)]) == plain  # no channel in the name


def test_cart_intent_is_closed_where_they_engage() -> None:
    # The sample CRM table's app- and email-engaged clusters that add to cart were told
    # "Test a tailored message" and "Reward the loyalty" (the email action was taken).
    email = [_trait("email_click_30d", 1)]
    app_cart = [_trait("add_to_cart_30d", 1), _trait("app_session_30d", 1)]
    email_cart = [_trait("email_click_30d", 1), _trait("add_to_cart_30d", 1)]
    actions = suggest_actions([(email, 1.0), (app_cart, 1.0), (email_cart, 1.0)])
    assert actions[0].startswith("Convert engagement: targeted offers by email")
    assert actions[1].startswith("Close the sale in the app: a reminder of what they left")
    assert actions[2].startswith("Close the sale by email: a reminder of what they left")
    assert suggest_action([_trait("add_to_cart_30d", 1)]).startswith("Close the sale: ")


def test_psychographic_attributes_lead_actions() -> None:
    assert suggest_action([_trait("brand_loyalty", -1)]).startswith("Earn their preference")
    assert suggest_action([_trait("brand_loyalty", 1)]).startswith("Reward the loyalty")
    assert suggest_action([_trait("price_sensitivity", 1)]).startswith("Deal-led")
    assert suggest_action([_trait("price_sensitivity", -1)]).startswith("Protect margin")


def test_a_shared_action_is_sharpened_by_what_the_holder_lacks() -> None:
    # Two email-engaged segments: the second was told to build the offer around its email
    # clicks, which the one holding the action shares; its own mark is the pets.
    def said(feature: str) -> Trait:
        return Trait(feature, "numeric", 1, 2.0, f"{feature} 3x", word="x", concept="")

    first = [said("email_click_30d")]
    second = [said("email_click_30d"), said("num_pets")]
    actions = suggest_actions([(first, 1.0), (second, 1.0), (second, 1.0)])
    assert actions[0].startswith("Convert engagement: targeted offers by email")
    assert actions[1] == (
        "Convert engagement: targeted offers by email, where they already engage. "
        "Build it around what sets them apart: num_pets 3x."
    )
    # The third would read as the second: it gets no sharpened copy but the default.
    assert actions[2].startswith("Test a tailored message")


def test_small_baskets_are_told_to_raise_the_basket() -> None:
    # CDNOW's "Small-basket customers" (9%) were told "Test a tailored message".
    assert suggest_action([_trait("avg_order_value", -1)]).startswith("Raise the basket")
    # Not for a segment that loses money: more basket is more to refund.
    losing = suggest_action([_trait("avg_order_value", -1)], value_mean=-5.0)
    assert "Raise the basket" not in losing


def test_affluent_customers_who_spend_little_are_headroom_not_served_cheaply() -> None:
    # Mall Customers' high incomes with low spending scores were told to lead with premium,
    # "built around" their low score; both their value words and their score's now lead.
    affluent, budget = _trait("Annual Income (k$)", 1), _trait("Annual Income (k$)", -1)
    for low_spend in (_trait("Spending Score (1-100)", -1), _trait("net_revenue", -1)):
        assert suggest_action([low_spend, affluent]).startswith("Grow share of wallet")
        # Low spend from low incomes is served efficiently, as before.
        assert suggest_action([low_spend, budget]).startswith("Serve efficiently")
        with counting("account"):
            assert not suggest_action([low_spend, affluent]).startswith("Grow share of wallet")
    # A high spending score is kept and rewarded, like high value.
    assert suggest_action([_trait("Spending Score (1-100)", 1)]).startswith("Retain and reward")


def test_a_lapsed_segment_is_won_back_not_grown() -> None:
    # CDNOW's clusters: "Big-basket lapsed customers" (last order 16 months ago) were told to
    # "Upsell and bundle", "Lapsed occasional customers" to "Grow frequency": neither still buys.
    lapsed = Trait("recency_days", "numeric", 1, 1.5, "")
    big_basket = [Trait("avg_order_value", "numeric", 1, 2.0, ""), lapsed]
    occasional = [lapsed, Trait("orders", "numeric", -1, 1.0, "")]
    habit = [Trait("orders", "numeric", 1, 2.0, ""), lapsed]
    actions = suggest_actions([(occasional, 30.0), (occasional, 20.0), (big_basket, 97.0)])
    assert actions[0].startswith("Win back")
    assert not any(a.startswith(("Grow frequency", "Upsell")) for a in actions)
    # The big spenders share the win-back, built around their basket.
    assert actions[2].startswith("Win back") and "Build it around" in actions[2]
    assert suggest_action(habit).startswith("Win back")
    assert "Keep the habit going" not in suggest_actions([(habit, 1.0), (habit, 1.0)])[1]
    # Recent enough not to be called lapsed (the word withheld), growth is still offered.
    warm = Trait("recency_days", "numeric", 1, 1.5, "", word="")
    assert suggest_action([warm, Trait("orders", "numeric", -1, 1.0, "")]).startswith("Grow")


def test_actions_go_where_fewest_segments_lose_their_first_choice() -> None:
    # CDNOW's most valuable cluster (13 orders each, 38% of revenue) was told "Strike while it
    # is warm", its third choice: a larger cluster with 6 orders each took "Keep the habit
    # going" first, though "Strike while it is warm" suited it as well.
    often, recent, valuable = (
        Trait(f, "numeric", d, 2.0, "", word="x", concept="")
        for f, d in [("orders", 1), ("recency_days", -1), ("net_revenue", 1)]
    )
    larger, big_spenders, best = [often, recent], [valuable], [often, valuable]
    actions = suggest_actions([(larger, 1.0), (big_spenders, 1.0), (best, 1.0)])
    assert [a.split(":")[0] for a in actions] == [
        "Strike while it is warm",
        "Retain and reward",
        "Keep the habit going",
    ]
    # A tie goes to the segment listed first (the one with more revenue).
    actions = suggest_actions([(larger, 1.0), (best, 1.0)])
    assert [a.split(":")[0] for a in actions] == ["Keep the habit going", "Retain and reward"]
    actions = suggest_actions([(best, 1.0), (larger, 1.0)])
    assert [a.split(":")[0] for a in actions] == ["Keep the habit going", "Strike while it is warm"]
    # "Test a tailored message" is no action: a segment with a real one left takes it.
    actions = suggest_actions([(larger, 1.0), ([often], 1.0)])
    assert [a.split(":")[0] for a in actions] == ["Strike while it is warm", "Keep the habit going"]


def test_a_segment_is_sharpened_only_by_a_trait_that_sets_it_apart() -> None:
    # Sharpened by a trait the holder shares, "what sets them apart" would be false: the
    # segment with a trait of its own is sharpened, the copy takes the default.
    lapsed = Trait("recency_days", "numeric", 1, 1.5, "last bought 16 months ago")
    big = Trait("avg_order_value", "numeric", 1, 2.0, "typical order worth 66")
    actions = suggest_actions([([lapsed], 30.0), ([lapsed], 20.0), ([lapsed, big], 97.0)])
    assert actions[0].startswith("Win back") and "Build it around" not in actions[0]
    assert actions[1].startswith("Test a tailored message")
    assert actions[2].endswith("Build it around what sets them apart: typical order worth 66.")
    # With no trait there is nothing to sharpen by: "… what sets them apart: their profile"
    # said nothing.
    plain = suggest_actions([([], 1.0)] * 2)
    assert all(a.startswith("Test a tailored message") and "apart" not in a for a in plain)


def test_every_segment_gets_an_action_and_none_is_repeated() -> None:
    features = ["orders", "recency_days", "net_revenue", "avg_order_value", "tenure_days"]
    for n in range(1, 10):
        segments = [
            ([_trait(features[(i + k) % 5], (-1) ** (i + k)) for k in range(i % 3 + 1)], 1.0)
            for i in range(n)
        ]
        actions = suggest_actions(segments)
        assert len(actions) == n and len(set(actions)) == n
