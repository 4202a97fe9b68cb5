"""method: propensity: tiers by predicted churn, profiled, stored, backtested and explained."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from segwise.exceptions import ConfigError, RuleError
from segwise.project.results import NOT_SCORED, UNSCORED_ACTION, UNSCORED_RULE
from tests.project.methods.projects import sample_project

if TYPE_CHECKING:
    from pathlib import Path

    from segwise.project import Project

CHURN = """segmentations:
  churn:
    method: propensity
    outcome: churn
    horizon_days: 90
    cutoffs: 3       # the pipeline's mechanics; calibration over a year is tested on real data
    step_days: 30
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Any, Any]:
    project = sample_project(tmp_path_factory.mktemp("propensity"), CHURN)
    first = project.run(as_of="2024-09-30")
    second = project.run(as_of="2024-12-31")
    return project, first, second


def test_every_buyer_gets_a_tier_with_a_card_and_an_action(ran: tuple[Project, Any, Any]) -> None:
    _project, first, _second = ran
    (churn,) = first.segmentations
    tiers = {"High churn risk", "Medium churn risk", "Low churn risk"}
    assert set(churn.members["segment"].unique().to_list()) == tiers
    cards = {c.name: c for c in churn.cards}
    assert tiers <= set(cards)
    assert all(cards[t].action for t in tiers)
    assert "predicted chance of no purchase in the next 90 days" in (
        cards["High churn risk"].definition or ""
    )
    # Each tier's scores run from its floor to the next tier's: the bottom one's floor is
    # only its lowest score, and read "of 0% or more".
    floors = {t: f"{v:.0%}" for t, v in churn.definition["thresholds"].items()}
    high = cards["High churn risk"].definition or ""
    top = floors["High churn risk"]
    assert f"of {top};" in high if top == "100%" else f"of {top} or more;" in high
    assert f"of {floors['Medium churn risk']} to {floors['High churn risk']};" in (
        cards["Medium churn risk"].definition or ""
    )
    low = cards["Low churn risk"].definition or ""
    assert f"days under {floors['Medium churn risk']};" in low
    # Customers who never bought have no score: their card says why, not "predicted chance
    # of no purchase in the next 90 days" with no number.
    unscored = cards[NOT_SCORED]
    assert (unscored.definition, unscored.action) == (UNSCORED_RULE, UNSCORED_ACTION)
    # Each card says what its tier did on the latest complete window, as the CLI does.
    assert "; in the backtest " in (cards["Low churn risk"].definition or "")
    assert "× everyone)" in (cards["High churn risk"].definition or "")
    # Higher tiers hold the customers who have been away longer, on average.
    away = {t: cards[t].lift.get("recency_days") or 0 for t in tiers}
    assert away["High churn risk"] > away["Low churn risk"]


def test_the_backtest_is_stored_and_on_the_report(ran: tuple[Project, Any, Any]) -> None:
    project, first, second = ran
    stored = project.store.definitions(first.run_id)["churn"]
    assert stored["cutoffs"]["test"] == ["2024-07-02"]  # 90 days before the run's as-of date
    stored = project.store.definitions(second.run_id)["churn"]
    found = stored["backtest"]
    assert found["rows"] > 0 and 0.5 < found["auc"] <= 1
    page = second.report.read_text()  # the report file shows the latest run
    assert f"AUC {found['auc']:.2f} (recency alone {found['baseline_auc']:.2f}" in page
    if found["palive_auc"] is not None:
        assert f"BG/NBD P(alive) {found['palive_auc']:.2f})" in page
    # What the score leans on (stored, and shown under the segmentation's name).
    top = [(n, lost) for n, lost in stored["importances"].items() if lost >= 0.002][:3]
    assert top, stored["importances"]
    (first, lost), *rest = top
    assert f"leans most on {first} (AUC −{lost:.3f} when shuffled)" in stored["summary"]
    assert all(f"{n} (−{v:.3f})" in stored["summary"] for n, v in rest)
    assert stored["summary"] in page


def test_a_move_between_tiers_is_explained_by_the_scores(ran: tuple[Project, Any, Any]) -> None:
    project, _first, second = ran
    moved = project.store.changes().movers
    assert moved.height > 0
    customer = moved["customer_id"][0]
    moves = [m for m in project.store.history(customer).moves if m.run_id == second.run_id]
    assert moves and moves[0].reason.startswith("propensity ")
    assert "tier starts at" in moves[0].reason or moves[0].after == ("(none)",)
    assert pl.Series([m.segmentation for m in moves]).to_list() == ["churn"]


def test_a_feature_name_is_checked_by_validate_with_the_window_features(tmp_path: Path) -> None:
    # validate passed "orderz_90d"; the run then refused it without naming the segmentation.
    misnamed = CHURN + "    features: [recency_days, orderz_90d]\n"
    project = sample_project(tmp_path / "p", misnamed)
    with pytest.raises(ConfigError, match="segmentation 'churn': no feature column 'orderz_90d'"):
        project.validate()
    # The window's own features (recent activity, the season) are features too.
    named = CHURN + "    features: [recency_days, orders_90d, net_revenue_180d, day_of_year]\n"
    sample_project(tmp_path / "q", named).validate()


def test_an_outcome_naming_an_unknown_column_is_said_of_the_outcome(tmp_path: Path) -> None:
    # validate passed it, and the run said "rules, segment 'label': RuleError: …", a segment
    # nobody named.
    typo = CHURN.replace("outcome: churn", 'outcome: "share_hom > 0"')
    project = sample_project(tmp_path / "p", typo)
    for attempt in (project.validate, lambda: project.run(as_of="2024-09-30")):
        with pytest.raises(RuleError) as raised:
            attempt()
        said = raised.value.render()
        assert said.startswith("segmentations.churn.outcome: RuleError: unknown column 'share_hom'")
        assert "Did you mean 'share_home'" in said
