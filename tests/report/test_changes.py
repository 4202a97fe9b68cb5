"""The report of a second run says what changed: entered and left, the Sankey, size over time."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from segwise.project import Project
from tests.project.demo import keep_segmentations
from tests.report.test_project import CHROMIUM, chromium

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Any]:
    folder = tmp_path_factory.mktemp("changes")
    # RFM, rules and clusters are what these tests read: the CLV fits add half the time.
    project = Project.from_yaml(
        keep_segmentations(Project.init(folder), "value", "lifecycle", "behaviour")
    )
    first = project.run(as_of="2024-06-30")
    second = project.run(as_of="2024-09-30")
    return project, first, second


def test_the_first_run_has_no_changes_section(runs: tuple[Any, Any, Any], tmp_path: Path) -> None:
    project, first, _second = runs
    # The report file now shows the second run; render the first run's page again.
    from segwise.report.project import render_project_report

    page = render_project_report(
        tmp_path / "first.html",
        project="shop",
        run_id=first.run_id,
        as_of=first.as_of,
        engine=first.engine,
        quality=first.quality,
        segmentations=first.segmentations,
        config_text=project.text,
    ).read_text()
    assert 'id="changes"' not in page


def test_the_counts_match_the_store(runs: tuple[Any, Any, Any]) -> None:
    project, first, second = runs
    page = second.report.read_text()
    assert 'id="changes"' in page
    assert f"run {first.run_id} (as of {first.as_of})" in page
    counts = project.store.changes(first.run_id, second.run_id, segmentation="value").counts
    section = page[page.index('<div class="change" data-segmentation="value">') :]
    section = section[: section.index("</table>")]
    for row in counts.filter(pl.col("after") > 0).iter_rows(named=True):
        attribute = re.escape(str(escape(row["segment"])))  # as the template writes it
        cells = re.search(rf'<tr data-segment="{attribute}">(.*?)</tr>', section)
        assert cells is not None, row["segment"]
        numbers = re.findall(r"<td>[+−]?([\d,]+)</td>", cells.group(1))
        assert [int(n.replace(",", "")) for n in numbers] == [
            row["before"],
            row["after"],
            row["entered"],
            row["exited"],
        ]
    # Nobody moving reads 0, not "+0" or "−0".
    assert "<td>+0</td>" not in section and "<td>−0</td>" not in section


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium: `make test` installs it")
def test_the_sankey_and_trends_render_without_console_errors(runs: tuple[Any, Any, Any]) -> None:
    _project, _first, second = runs
    rendered = chromium("--dump-dom", second.report.resolve().as_uri())
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    console = [line for line in rendered.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = rendered.stdout
    changes = dom[dom.index('id="changes"') :]
    views = changes.count('class="change"')
    assert views == len({s.name for s in second.segmentations})
    # Plotly drew a Sankey and a size-over-time chart for each segmentation.
    assert changes.count('class="sankey"') >= views
    assert changes.count("plotly-graph-div js-plotly-plot") >= 2 * views


def test_the_forecast_table_matches_the_stores_forecast(runs: tuple[Any, Any, Any]) -> None:
    project, _first, second = runs
    page = second.report.read_text()
    expected = project.store.forecast("value", steps=3).sizes
    section = page[page.index('<div class="change" data-segmentation="value">') :]
    section = section[section.index('<table class="forecast">') :]
    section = section[: section.index("</table>")]
    assert "over the last 1 run;" in section and "rough" in section
    for segment in expected["segment"].unique().to_list():
        attribute = re.escape(str(escape(segment)))
        cells = re.search(rf'<tr data-segment="{attribute}">(.*?)</tr>', section)
        assert cells is not None, segment
        shown = [int(n.replace(",", "")) for n in re.findall(r"<td>([\d,]+) <span", cells.group(1))]
        wanted = expected.filter(pl.col("segment") == segment).sort("step")["expected"]
        assert shown == [round(x) for x in wanted], segment
    # Cluster segments are renamed when refitted: no forecast for them.
    behaviour = page[page.index('<div class="change" data-segmentation="behaviour">') :]
    next_view = behaviour.find('<div class="change"', 1)
    assert '<table class="forecast">' not in behaviour[: next_view if next_view > 0 else None]


@given(
    st.lists(st.integers(min_value=1, max_value=200), min_size=0, max_size=80),
    st.integers(min_value=1, max_value=50),
)
def test_the_sankey_draws_no_flow_under_k_min_and_loses_nobody_it_may_show(
    sizes: list[int], k_min: int
) -> None:
    from segwise.report.changes import MAX_FLOWS, drawn_flows

    flows = pl.DataFrame(
        {
            "source": [f"s{i}" for i in range(len(sizes))],
            "target": [f"t{i}" for i in range(len(sizes))],
            "customers": sorted(sizes, reverse=True),
        },
        schema={"source": pl.String, "target": pl.String, "customers": pl.UInt32},
    )
    drawn = drawn_flows(flows, k_min)
    assert drawn.height <= MAX_FLOWS
    assert (drawn["customers"] >= k_min).all()
    hidden = sum(sizes) - int(drawn["customers"].sum())
    assert hidden == 0 or hidden < k_min  # only a remainder too small to show is left out


def _previous_and_result(definition: dict[str, Any]) -> tuple[Any, Any]:
    import datetime as dt

    from segwise.profiling.cards import SegmentationResult
    from segwise.report.changes import PreviousRun

    a, b = [f"a{i}" for i in range(40)], [f"b{i}" for i in range(60)]
    before = pl.DataFrame(
        {"segmentation": "groups", "customer_id": a + b, "segment": ["A"] * 40 + ["B"] * 60}
    )
    sizes = pl.DataFrame(
        {
            "run_id": [1, 1],
            "as_of": [dt.date(2024, 1, 31)] * 2,
            "segmentation": ["groups"] * 2,
            "segment": ["A", "B"],
            "size": [40, 60],
        }
    )
    previous = PreviousRun(1, dt.date(2024, 1, 31), before, sizes)
    now = pl.DataFrame(
        {"customer_id": a + b, "segment": ["Big"] * 45 + ["Quiet"] * 52 + ["Lapsed"] * 3}
    )
    return previous, SegmentationResult("groups", "cluster", now, definition, [])


@pytest.mark.parametrize(
    ("definition", "noted"),
    [({"refitted": True}, True), ({"refitted": False}, False)],
    ids=["fitted-afresh", "model-reused"],
)
def test_a_refitted_clustering_says_its_moves_compare_two_fits(
    definition: dict[str, Any], noted: bool
) -> None:
    import datetime as dt

    from segwise.report.changes import changes_section

    previous, result = _previous_and_result({"method": "cluster", **definition})
    section = changes_section(previous, [result], run_id=2, as_of=dt.date(2024, 2, 29), k_min=10)
    assert section is not None
    refit = section["views"][0]["refit"]
    if not noted:
        assert refit is None
        return
    assert refit["note"].startswith("groups was fitted afresh between run 1 and run 2 (2 segments")
    # A (40) went whole into Big (45 with five of B); 52 of B's 60 are in Quiet.
    assert [(m["from_segment"], m["to_segment"]) for m in refit["matches"]] == [
        ("B", "Quiet"),
        ("A", "Big"),
    ]
    assert refit["matches"][1]["overlap"] == pytest.approx(40 / 45)
    assert all("customers" not in m for m in refit["matches"])  # shares only on the page
    # A match of fewer customers than k_min is not shown (A and Big share 40).
    strict = changes_section(previous, [result], run_id=2, as_of=dt.date(2024, 2, 29), k_min=50)
    assert strict is not None
    assert [m["from_segment"] for m in strict["views"][0]["refit"]["matches"]] == ["B"]


def test_customers_absent_from_a_run_are_labelled_by_that_run() -> None:
    # "(none)" on either side of a Sankey read as a segment called none.
    from segwise.report.changes import migration_sankey

    flows = pl.DataFrame(
        {
            "from_segment": ["A", "(none)", "A"],
            "to_segment": ["A", "A", "(none)"],
            "customers": [50, 20, 15],
        }
    )
    html = migration_sankey(flows, "groups: runs 3 and 4", (3, 4), k_min=10)
    assert '"(not in run 3)"' in html and '"(not in run 4)"' in html
    assert '"(none)"' not in html and "groups: runs 3 and 4" in html


def test_a_segment_keeps_its_colour_on_both_sides_of_the_sankey() -> None:
    # Plotly coloured nodes by position: Champions purple on the left, blue on the right.
    import json
    import re

    from segwise.report.changes import migration_sankey

    flows = pl.DataFrame(
        {
            "from_segment": ["Lost", "Champions", "Champions", "(none)"],
            "to_segment": ["Champions", "Champions", "At Risk", "Lost"],
            "customers": [40, 300, 60, 25],
        }
    )
    html = migration_sankey(flows, "value: runs 2 and 3", (2, 3), k_min=10)
    node = json.loads(re.search(r'"node":(\{.*?\})', html).group(1))  # type: ignore[union-attr]
    colour = {}
    for label, shade in zip(node["label"], node["color"], strict=True):
        assert colour.setdefault(label, shade) == shade, label
    assert len({colour["Champions"], colour["Lost"], colour["At Risk"]}) == 3


def test_an_edited_segmentation_is_said_to_have_moved_with_the_edit() -> None:
    import datetime as dt

    from segwise.report.changes import changes_section

    previous, result = _previous_and_result({"method": "rules"})
    day = dt.date(2024, 2, 29)
    plain = changes_section(previous, [result], run_id=2, as_of=day, k_min=10)
    edited = changes_section(previous, [result], run_id=2, as_of=day, k_min=10, edited={"groups"})
    assert plain is not None and edited is not None
    assert plain["views"][0]["edited"] is None
    assert edited["views"][0]["edited"] == (
        "groups was edited since run 1 (segwise diff shows how): its moves are the edit's as "
        "well as the customers'"
    )


def test_a_run_where_nobody_moved_says_so_instead_of_a_sankey_of_straight_lines() -> None:
    import datetime as dt

    from segwise.profiling.cards import SegmentationResult
    from segwise.report.changes import changes_section

    previous, moved = _previous_and_result({"method": "rules"})
    same = previous.members.select("customer_id", "segment")
    still = SegmentationResult("groups", "rules", same, {"method": "rules"}, [])
    day = dt.date(2024, 2, 29)
    [view] = changes_section(previous, [still], run_id=2, as_of=day, k_min=10)["views"]  # type: ignore[index]
    assert view["sankey"] is None and view["still"] == "nobody moved since run 1"
    [view] = changes_section(previous, [moved], run_id=2, as_of=day, k_min=10)["views"]  # type: ignore[index]
    assert view["sankey"] and view["still"] is None


def test_a_segment_nobody_entered_or_left_reads_0(tmp_path: Path) -> None:
    import datetime as dt

    from segwise.profiling.cards import SegmentationResult
    from segwise.report.changes import changes_section
    from segwise.report.project import render_project_report

    previous, _ = _previous_and_result({"method": "rules"})
    same = previous.members.select("customer_id", "segment")
    still = SegmentationResult("groups", "rules", same, {"method": "rules"}, [])
    day = dt.date(2024, 2, 29)
    section = changes_section(previous, [still], run_id=2, as_of=day, k_min=1)
    page = render_project_report(
        tmp_path / "report.html",
        project="shop",
        run_id=2,
        as_of=day,
        engine="polars",
        quality=[],
        segmentations=[still],
        config_text="",
        changes=section,
        k_min=1,
    ).read_text()
    counts = page[page.index('id="changes"') :]
    counts = counts[: counts.index("</table>")]
    rows = re.findall(r'<tr data-segment="[^"]*">(.*?)</tr>', counts)
    assert rows
    for cells in rows:
        assert re.findall(r"<td>(.*?)</td>", cells)[-2:] == ["0", "0"], cells
