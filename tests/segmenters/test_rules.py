"""RuleSegmenter and catalogs: priorities, Other, overlaps, static lists, preview, explain."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.exceptions import ConfigError, DataError, RuleError, RuleSyntaxError
from segwise.segmenters import RuleCatalog, RuleSegmenter

if TYPE_CHECKING:
    from pathlib import Path

CUSTOMERS = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e", "f"],
        "orders": [12, 6, 1, 0, None, 3],
        "revenue": [2500.0, 900.0, 40.0, 0.0, 10.0, 300.0],
        "recency_days": [5, 40, 200, 400, None, 20],
    }
)

CATALOG = """
name: lifecycle
exclusive: true
segments:
  - name: Champions
    description: Buy often, spend most, bought lately
    where: "orders >= 10 AND revenue > 2000 AND recency_days <= 30"
    priority: 1
    tags: [value]
    owner: crm
    playbook:
      messaging: Thank them; early access
      channels: [email, app]
      offers: none needed
      timing: launch days
      creative: premium
  - name: Lapsed
    where: "recency_days > 180"
    priority: 3
  - name: Loyal
    where: "orders >= 5 OR in_segment('Champions')"
    priority: 2
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_exclusive_catalog_assigns_first_match_by_priority(tmp_path: Path) -> None:
    segmenter = RuleSegmenter(write(tmp_path, CATALOG), id_col="id").fit(CUSTOMERS)
    assert segmenter.segment_names_ == {0: "Champions", 1: "Loyal", 2: "Lapsed", -1: "Other"}
    assert segmenter.labels_.tolist() == [0, 1, 2, 2, -1, -1]
    assert segmenter.labels_.dtype == "int64"
    out = segmenter.segment(CUSTOMERS)
    assert out.columns == ["id", "segment"]
    assert out["segment"].to_list() == ["Champions", "Loyal", "Lapsed", "Lapsed", "Other", "Other"]


def test_overlapping_catalog_gives_one_boolean_column_per_segment(tmp_path: Path) -> None:
    segmenter = RuleSegmenter(write(tmp_path, CATALOG), exclusive=False, id_col="id")
    out = segmenter.fit(CUSTOMERS).segment(CUSTOMERS)
    assert out.columns == ["id", "Champions", "Loyal", "Lapsed"]
    assert out["Loyal"].to_list() == [True, True, False, False, False, False]
    assert out["Lapsed"].to_list() == [False, False, True, True, False, False]


def test_same_kind_of_frame_comes_back() -> None:
    frame = CUSTOMERS.to_pandas()
    out = RuleSegmenter({"Big": "orders > 5"}, id_col="id").fit(frame).segment(frame)
    assert isinstance(out, pd.DataFrame)
    assert out["segment"].tolist() == ["Big", "Big", "Other", "Other", "Other", "Other"]


def test_static_segment_reads_ids_from_csv(tmp_path: Path) -> None:
    (tmp_path / "complaints.csv").write_text("customer\nc\nf\nzz\n")
    catalog = write(
        tmp_path,
        """
        exclusive: false
        segments:
          - name: Complained
            ids: complaints.csv
          - name: Complained big spender
            where: "in_segment('Complained') AND revenue > 100"
        """,
    )
    segmenter = RuleSegmenter(catalog, id_col="id").fit(CUSTOMERS)
    out = segmenter.segment(CUSTOMERS)
    assert out["Complained"].to_list() == [False, False, True, False, False, True]
    assert out["Complained big spender"].to_list() == [False, False, False, False, False, True]
    explanation = segmenter.explain(CUSTOMERS, "f", "Complained")
    assert explanation.member is True
    assert explanation.conditions[0].text == "listed in complaints.csv"


def test_preview_counts_each_condition_alone_and_cumulatively(tmp_path: Path) -> None:
    preview = RuleSegmenter(write(tmp_path, CATALOG)).fit(CUSTOMERS).preview(CUSTOMERS)
    assert preview.total == 6
    champions = preview.segments[0]
    assert champions.name == "Champions"
    assert [(c.text, c.alone, c.cumulative) for c in champions.conditions] == [
        ("orders >= 10", 1, 1),
        ("revenue > 2000", 1, 1),
        ("recency_days <= 30", 2, 1),
    ]
    assert preview.sizes() == {"Champions": 1, "Loyal": 1, "Lapsed": 2, "Other": 2}
    loyal = preview.segments[1]
    assert (loyal.matches, loyal.assigned) == (2, 1)  # Champions took one of Loyal's matches
    table = preview.to_frame()
    assert table.height == 5


def test_explain_shows_each_condition_with_values(tmp_path: Path) -> None:
    segmenter = RuleSegmenter(write(tmp_path, CATALOG), id_col="id").fit(CUSTOMERS)
    explanation = segmenter.explain(CUSTOMERS, "b", "Champions")
    assert explanation.member is False
    assert explanation.assigned == "Loyal"
    assert [(c.text, c.verdict) for c in explanation.conditions] == [
        ("orders >= 10 AND revenue > 2000 AND recency_days <= 30", False),
        ("orders >= 10", False),
        ("revenue > 2000", False),
        ("recency_days <= 30", False),
    ]
    assert explanation.conditions[1].inputs == (("orders", 6),)
    text = explanation.render()
    assert text.splitlines()[0] == "customer b is NOT IN segment 'Champions' (the rule is FALSE)"
    assert "orders = 6" in text


def test_explain_the_rest_shows_every_segments_rule(tmp_path: Path) -> None:
    # The web UI offered "why?" beside a customer's Other segment and answered an error.
    segmenter = RuleSegmenter(write(tmp_path, CATALOG), id_col="id").fit(CUSTOMERS)
    assigned = dict(segmenter.segment(CUSTOMERS).select("id", "segment").iter_rows())
    for customer, segment in assigned.items():
        found = segmenter.explain(CUSTOMERS, customer, "Other")
        assert found.member is (segment == "Other"), customer
        assert found.assigned == segment and found.rest
    f = segmenter.explain(CUSTOMERS, "f", "Other")
    assert [(c.text.split(":")[0], c.verdict) for c in f.conditions] == [
        ("Champions", False),
        ("Loyal", False),
        ("Lapsed", False),
    ]
    assert dict(f.conditions[1].inputs) == {"orders": 3}  # the values each rule read
    text = segmenter.explain(CUSTOMERS, "c", "Other").render().splitlines()
    assert text[0] == (
        "customer c is NOT IN segment 'Other' (the catalog's rest: customers no segment's rule "
        "matches)"
    )
    assert text[-1] == "exclusive catalog: assigned to 'Lapsed' (it matches that segment's rule)"
    overlapping = RuleSegmenter(write(tmp_path, CATALOG), id_col="id", exclusive=False)
    with pytest.raises(ConfigError, match="no segment 'Other'"):
        overlapping.fit(CUSTOMERS).explain(CUSTOMERS, "f", "Other")


def test_explain_unknown_customer_and_segment(tmp_path: Path) -> None:
    segmenter = RuleSegmenter(write(tmp_path, CATALOG), id_col="id").fit(CUSTOMERS)
    with pytest.raises(DataError, match="customer 'zz' is not in the table"):
        segmenter.explain(CUSTOMERS, "zz", "Champions")
    with pytest.raises(ConfigError, match=r"Did you mean .Champions."):
        segmenter.explain(CUSTOMERS, "a", "Champion")


def test_catalog_errors_name_the_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "segments:\n  - name: A\n    where: x > 1\n    prority: 2\n")
    with pytest.raises(ConfigError) as caught:
        RuleCatalog.from_yaml(path)
    assert (
        str(caught.value)
        == f"{path}, line 4: segments.0.prority: unknown key. Did you mean 'priority'?"
    )


def test_catalog_needs_where_or_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "segments:\n  - name: A\n")
    with pytest.raises(ConfigError, match=r"line 2: segments\.0: segment 'A' needs exactly one of"):
        RuleCatalog.from_yaml(path)


def test_duplicate_segment_names_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "segments:\n  - {name: A, where: x > 1}\n  - {name: A, where: x > 2}\n")
    with pytest.raises(ConfigError, match="segment name 'A' is used twice"):
        RuleCatalog.from_yaml(path)


def test_rule_errors_name_the_catalog_and_segment(tmp_path: Path) -> None:
    path = write(tmp_path, "name: life\nsegments:\n  - {name: A, where: 'orders >'}\n")
    with pytest.raises(RuleSyntaxError) as caught:
        RuleSegmenter(path).fit(CUSTOMERS)
    assert caught.value.render().splitlines()[0] == (
        "life, segment 'A': RuleSyntaxError: expected a value after '>' (line 1, col 9)"
    )


def test_plain_arrays_use_x_names() -> None:
    import numpy as np

    data = np.array([[1.0, 5.0], [-3.0, 0.0], [np.nan, 2.0]])
    labels = RuleSegmenter({"pos": "x0 > 0", "big": "x1 >= 2"}).fit_predict(data)
    assert labels.tolist() == [0, -1, 1]


def test_static_ids_keep_leading_zeros(tmp_path: Path) -> None:
    # Issue 12, defect 1: the ids CSV was read with an inferred schema, so 00042 became 42.
    (tmp_path / "ids.csv").write_text("customer_id\n00042\n")
    catalog = write(
        tmp_path, "exclusive: false\nsegments:\n  - {name: Listed, ids: ids.csv}\n", "cat.yaml"
    )
    customers = pl.DataFrame({"customer_id": ["00042", "00043"], "orders": [1, 2]})
    segmenter = RuleSegmenter(catalog, id_col="customer_id").fit(customers)
    assert segmenter.segment(customers)["Listed"].to_list() == [True, False]


def _plan_size(catalog: dict[str, str], customers: pl.DataFrame) -> int:
    """Characters in the unoptimised Polars plan of the catalog's labels."""
    spec = RuleCatalog.from_dict(
        {"segments": [{"name": k, "where": v} for k, v in catalog.items()]}
    )
    segmenter = RuleSegmenter(spec, id_col="id").fit(customers)
    out = segmenter.segment(customers.lazy())
    return len(out.explain(optimized=False))


def test_in_segment_references_compile_once_not_inlined() -> None:
    # Issue 12, defect 5: each reference inlined its target, doubling per level (33 s at 16).
    levels = 16
    doubling = {f"D{i}": f"in_segment('D{i + 1}') OR in_segment('D{i + 1}')" for i in range(levels)}
    doubling[f"D{levels}"] = "orders > 1"
    small = {k: v for k, v in doubling.items() if k in {f"D{i}" for i in range(8, levels + 1)}}
    small = {k.replace("D", "E"): v.replace("D", "E") for k, v in small.items()}
    # Twice the levels give about twice the plan, not 2**8 times.
    assert _plan_size(doubling, CUSTOMERS) < 3 * _plan_size(small, CUSTOMERS)
    labels = RuleSegmenter(
        RuleCatalog.from_dict({"segments": [{"name": k, "where": v} for k, v in doubling.items()]}),
        id_col="id",
    ).fit_predict(CUSTOMERS)
    assert labels.tolist() == [0, 0, -1, -1, -1, 0]


def test_exclusive_catalog_of_250_segments_labels_without_recursion() -> None:
    # Issue 12, defect 13: the when/then chain nested once per segment (RecursionError).
    catalog = {f"S{i}": f"orders > {i}" for i in range(250)}
    segmenter = RuleSegmenter(catalog, id_col="id").fit(CUSTOMERS)
    named = segmenter.segment(CUSTOMERS)["segment"].to_list()
    assert named == ["S0", "S0", "S0", "Other", "Other", "S0"]
    preview = segmenter.preview(CUSTOMERS)
    assert preview.sizes()["S0"] == 4 and preview.sizes()["Other"] == 2


def test_long_in_segment_chain_is_a_clear_error_not_recursion() -> None:
    # Issue 12, defect 13: a chain of 400 references raised RecursionError.
    chain = {f"C{i}": f"in_segment('C{i + 1}') AND orders > 0" for i in range(400)}
    chain["C400"] = "orders > 1"
    with pytest.raises(RuleError, match=r"segment 'C100'.*chain more than 100 segments deep"):
        RuleSegmenter(chain, id_col="id").fit(CUSTOMERS)
    short = {f"C{i}": f"in_segment('C{i + 1}') AND orders > 0" for i in range(60)}
    short["C60"] = "orders > 1"
    assert RuleSegmenter(short, id_col="id").fit_predict(CUSTOMERS).tolist()[:3] == [0, 0, -1]


def test_preview_of_400_anded_conditions_is_linear() -> None:
    # Issue 12, defect 12: each running-AND column rebuilt its prefix (400 terms: 23 s).
    rule = " AND ".join(f"orders > {i - 100}" for i in range(400))
    segmenter = RuleSegmenter({"All": rule}, id_col="id").fit(CUSTOMERS)
    preview = segmenter.preview(CUSTOMERS)
    cumulative = [c.cumulative for c in preview.segments[0].conditions]
    alone = [c.alone for c in preview.segments[0].conditions]
    assert len(cumulative) == 400
    # orders are 12, 6, 1, 0, NULL, 3: cumulative counts fall as the threshold passes each.
    assert cumulative[99] == 5 and cumulative[100] == 4 and cumulative[-1] == 0
    assert all(c <= a for c, a in zip(cumulative, alone, strict=True))
    assert cumulative == sorted(cumulative, reverse=True)


@given(
    edges=st.lists(
        st.lists(st.integers(min_value=1, max_value=30), min_size=0, max_size=4),
        min_size=2,
        max_size=30,
    ),
    joiner=st.sampled_from([" OR ", " AND "]),
)
@settings(max_examples=40, deadline=None)
def test_random_reference_catalogs_compile_in_linear_size(
    edges: list[list[int]], joiner: str
) -> None:
    # Issue 12, defect 5's class: segment i may reference any later segment, any number of
    # times; the compiled plan must grow with the catalog's text, never with its paths.
    n = len(edges)
    catalog = {}
    for i, targets in enumerate(edges):
        refs = [f"in_segment('R{i + t}')" for t in targets if i + t < n]
        catalog[f"R{i}"] = joiner.join([f"orders > {i % 5}", *refs])
    text_size = sum(len(rule) for rule in catalog.values())
    assert _plan_size(catalog, CUSTOMERS) < 2_000 + 40 * text_size
