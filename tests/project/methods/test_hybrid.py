"""method: hybrid: rules first, then a method inside each rule segment, stored like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals as nw
import polars as pl
import pytest

from segwise.exceptions import ConfigError
from segwise.features.rfm import rfm_table
from segwise.project import Project
from segwise.project.methods.hybrid import SEPARATOR
from tests.project.methods.projects import sample_project

if TYPE_CHECKING:
    from pathlib import Path


#: Big spenders are clustered; everyone else gets RFM segments; nobody stays unsplit.
HYBRID = """segmentations:
  mixed:
    method: hybrid
    other: Everyone else
    segments:
      - name: Big spenders
        where: "net_revenue > 1200"
    within:
      Big spenders: {method: cluster, features: [recency_days, orders, net_revenue], k: 3, seed: 0}
      Everyone else: {method: rfm}
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Any]:
    project = sample_project(tmp_path_factory.mktemp("hybrid"), HYBRID)
    return project, project.run(as_of="2024-09-30")


def test_the_leaves_split_each_parent_and_only_it(ran: tuple[Project, Any]) -> None:
    project, result = ran
    (mixed,) = result.segmentations
    members = mixed.members
    parent = members["segment"].str.split(SEPARATOR).list.first()
    features = project.store.latest_features()
    assert features is not None
    big = set(features.filter(pl.col("net_revenue") > 1200)["customer_id"].to_list())
    assert set(members.filter(parent == "Big spenders")["customer_id"].to_list()) == big
    everyone = set(features["customer_id"].to_list())
    unplaced = everyone - set(members["customer_id"].to_list())
    buyers = set(features.filter(pl.col("orders") > 0)["customer_id"].to_list())
    assert unplaced == everyone - buyers  # RFM scores buyers only, as it does on its own
    note = f"{len(unplaced):,} customers of 'Everyone else' got no segment"
    assert any(note in n for n in mixed.warnings)
    assert members["customer_id"].n_unique() == members.height  # one leaf each
    leaves = {c.name for c in mixed.cards}
    # RFM's own card for the customers it could not score comes along, as it does alone.
    assert leaves - set(members["segment"].unique().to_list()) == {"Everyone else › (not scored)"}
    assert all(SEPARATOR in leaf for leaf in leaves)
    assert sum(1 for leaf in leaves if leaf.startswith("Big spenders › ")) == 3
    assert sum(c.share for c in mixed.cards) == pytest.approx(1.0)


def test_a_child_runs_on_its_parents_customers_alone(ran: tuple[Project, Any]) -> None:
    project, result = ran
    (mixed,) = result.segmentations
    rest = mixed.members.filter(pl.col("segment").str.starts_with("Everyone else › "))
    orders = project.read_source("transactions").data
    alone = rfm_table(
        orders.filter(nw.col("customer_id").is_in(rest["customer_id"].to_list())),
        monetary_value_col="amount",
        order_id_col="order_id",
        as_of="2024-09-30",
    )
    alone = alone.collect() if isinstance(alone, pl.LazyFrame) else alone
    expected = dict(zip(alone["customer_id"], alone["segment"], strict=True))
    found = {c: s.removeprefix("Everyone else › ") for c, s in rest.iter_rows()}
    assert found == expected  # scores binned among the parent's customers, not everyone's


def test_leaf_cards_are_profiled_against_their_parent(ran: tuple[Project, Any]) -> None:
    _unused, result = ran
    (mixed,) = result.segmentations
    big = [c for c in mixed.cards if c.name.startswith("Big spenders › ")]
    assert all("compared with the rest of it" in (c.definition or "") for c in big)
    # Lifts against the parent: the leaves' sizes weight their means back to the parent's.
    sizes = [c.size for c in big]
    for feature in ("orders", "net_revenue"):
        lifts = [c.lift[feature] for c in big]
        assert all(x is not None for x in lifts), feature
        weighted = sum(s * x for s, x in zip(sizes, lifts, strict=True)) / sum(sizes)
        assert weighted == pytest.approx(1.0, rel=1e-6), feature
    assert mixed.definition["within"]["Big spenders"]["method"] == "cluster"
    # The leaf's words are the parent's rule name and the child's own description: the
    # parent's description (against everyone) read beside the leaf's as a contradiction
    # ("Frequent high-value customers › Slow-repeat lapsed customers").
    rfm = [c for c in mixed.cards if c.name.startswith("Everyone else › ")]
    for card in big + rfm:
        parent, own = card.auto_name.split(SEPARATOR)
        assert parent == card.name.split(SEPARATOR)[0]
        assert own and own != "Everyone else"
    assert any(c.auto_name != c.name for c in rfm)  # RFM names its segments; words describe


def test_a_leafs_traits_name_the_parent_they_compare_with(ran: tuple[Project, Any]) -> None:
    """ "the average" inside Big spenders is theirs, and each trait says so."""
    _unused, result = ran
    (mixed,) = result.segmentations
    leaves = [c for c in mixed.cards if c.name.startswith("Big spenders › ")]
    words = ("average", "typical", "overall")
    comparing = [t for c in leaves for t in c.traits if any(w in t for w in words)]
    assert comparing  # the clusters of big spenders differ from each other somewhere
    for trait in comparing:
        assert "in 'Big spenders'" in trait, trait
    # The parent's mean is what the traits quote: the leaves' means weighted by their sizes.
    value = [t for t in comparing if t.startswith("spends ")]
    mean = sum(c.size * (c.value_mean or 0.0) for c in leaves) / sum(c.size for c in leaves)
    assert value and all(f" vs {mean:,.0f})" in t for t in value), (value, mean)


def test_leaves_are_stored_and_queryable(ran: tuple[Project, Any]) -> None:
    project, result = ran
    (mixed,) = result.segmentations
    leaf = mixed.cards[0].name
    stored = project.store.members(leaf, segmentation="mixed")["customer_id"].to_list()
    expected = mixed.members.filter(pl.col("segment") == leaf)["customer_id"].sort().to_list()
    assert stored == expected
    assert "hybrid" in result.report.read_text()


def test_a_within_key_that_is_not_a_rule_segment_is_named(tmp_path: Path) -> None:
    wrong = HYBRID.replace("  Big spenders: {method: cluster", "  Big spender: {method: cluster")
    project = sample_project(tmp_path / "p", wrong)
    with pytest.raises(ConfigError, match="'Big spender' is not one of the rule segments"):
        project.run(as_of="2024-09-30")


def test_the_three_to_eight_guidance_counts_the_leaves(
    ran: tuple[Project, Any], tmp_path: Path
) -> None:
    _unused, result = ran
    (mixed,) = result.segmentations
    assert mixed.members["segment"].n_unique() > 8  # 3 clusters, the RFM preset's segments
    [note] = [n for n in mixed.warnings if "campaigns are easiest to run on 3 to 8" in n]
    # What would bring the leaves down, in each child method's terms (it said "lower k_max"
    # of RFM leaves, which have none).
    assert note.endswith(
        "split fewer parents; lower k_max in 'Big spenders'; use a preset with fewer "
        "segments, or rules, in 'Everyone else'"
    )
    few = HYBRID.replace("      Everyone else: {method: rfm}\n", "")
    project = sample_project(tmp_path / "p", few)
    (mixed,) = project.run(as_of="2024-09-30").segmentations
    assert len(mixed.cards) == 4  # three leaves of Big spenders, and Everyone else whole
    assert "Everyone else" in {c.name for c in mixed.cards}
    assert not any("campaigns are easiest" in note for note in mixed.warnings)


def test_duckdb_gives_the_same_leaves(ran: tuple[Project, Any], tmp_path: Path) -> None:
    _unused, result = ran
    (expected,) = result.segmentations
    project = sample_project(tmp_path / "d", HYBRID, engine="duckdb")
    (found,) = project.run(as_of="2024-09-30").segmentations
    assert found.members.sort("customer_id").equals(expected.members.sort("customer_id"))


def test_a_clv_child_gives_its_predictive_segments(tmp_path: Path) -> None:
    clv = HYBRID.replace(
        "      Everyone else: {method: rfm}\n",
        "      Everyone else: {method: clv, holdout_weeks: 13}\n",
    )
    project = sample_project(tmp_path / "c", clv)
    (mixed,) = project.run(as_of="2024-09-30").segmentations
    rest = {c.name for c in mixed.cards if c.name.startswith("Everyone else › ")}
    assert rest, "the clv leaves"
    assert rest <= {
        f"Everyone else › {s}"
        for s in ("At-risk high value", "Churn risk", "Rising", "Stable", "(not scored)")
    }
    assert mixed.definition["within"]["Everyone else"]["method"] == "clv"


def test_a_preview_of_an_edited_parent_rule_is_what_the_next_run_stores(tmp_path: Path) -> None:
    project = sample_project(tmp_path / "p", HYBRID)
    first = project.run(as_of="2024-09-30")
    config = project.root / "segwise.yaml"
    config.write_text(config.read_text().replace("net_revenue > 1200", "net_revenue > 1000"))
    edited = Project.from_yaml(config)
    preview = edited.preview(segmentation="mixed").segments
    assert preview.filter(pl.col("entering") > 0).height > 0
    second = edited.run(as_of="2024-09-30")
    stored = edited.store.changes(first.run_id, second.run_id, segmentation="mixed").counts
    expected = stored.select("segment", "entered", "exited").sort("segment")
    found = preview.select(
        "segment", pl.col("entering").alias("entered"), pl.col("leaving").alias("exited")
    ).sort("segment")
    assert found.filter((pl.col("entered") > 0) | (pl.col("exited") > 0)).rows() == (
        expected.filter((pl.col("entered") > 0) | (pl.col("exited") > 0)).rows()
    )


def test_a_childs_own_warnings_name_its_parent(tmp_path: Path) -> None:
    # UCI Online Retail, wholesale buyers clustered and everyone else scored by RFM: "f_score:
    # no customer scores 2" and "segment id 3 is unstable" came without the parent they were of.
    low = HYBRID.replace("net_revenue > 1200", "net_revenue > 150")
    (mixed,) = sample_project(tmp_path, low).run(as_of="2024-09-30").segmentations
    ties = [w for w in mixed.warnings if "f_score: no customer scores" in w]
    assert ties and all(w.startswith("in 'Everyone else': ") for w in ties)
