"""The report's "How the segments did": the KPI table and an experiment readout, in Chromium."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import segwise as sw
from segwise.measure.kpis import EVERYONE
from segwise.project.experiment_analysis import analyze_experiment
from segwise.project.kpis import kpis_by_segment
from segwise.report.measure import measurement_view
from tests.project.experiment_demo import EXPERIMENT, copy_project
from tests.report.test_project import CHROMIUM, chromium

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory, experiment_shop: Path) -> tuple[Any, Any]:
    config = copy_project(experiment_shop, tmp_path_factory.mktemp("measured") / "shop")
    project = sw.Project.from_yaml(config)
    readout = analyze_experiment(project, EXPERIMENT, segmentation="lifecycle")
    return sw.Project.from_yaml(config).run(), readout


def test_the_kpi_table_shows_the_earlier_run_as_kpis_measure_it(measured: tuple[Any, Any]) -> None:
    result, _ = measured
    page = result.report.read_text()
    section = page[page.index('id="measure"') :]
    assert "run 1 (as of 2024-09-30): what each segment did in the 30 days after" in section
    _, [run] = kpis_by_segment(
        sw.Project.from_yaml(result.report.parent / "segwise.yaml"),
        segmentation="lifecycle",
        runs=[1],
    )
    for segment in run.segments:
        assert f'<tr data-segment="{segment.segment}">' in section
        assert f"{segment.kpis['conversion'].value:.1%}" in section
        flagged = f"of the revenue of {segment.segment} in the window" in section
        assert flagged == segment.concentrated


def test_a_clv_segmentation_shows_realised_against_predicted(
    predicted_shop: Path, tmp_path: Path
) -> None:
    config = copy_project(predicted_shop, tmp_path / "shop")
    config.write_text(f"{config.read_text()}\ncurrency: EUR\n")
    page = sw.Project.from_yaml(config).run().report.read_text()
    section = page[page.index('id="measure"') :]
    table = section[section.index('data-segmentation="future"') :]
    table = table[: table.index("</table>")]
    assert "<th>realised / predicted</th>" in table
    # The amounts are bare numbers with intervals: their headings say the currency.
    for heading in ("revenue per customer (€)", "AOV (€)", "predicted revenue per customer (€)"):
        assert f"<th>{heading}</th>" in table
    _, [run] = kpis_by_segment(sw.Project.from_yaml(config), segmentation="future", runs=[1])
    for segment in run.segments:
        ratio = segment.predicted["realised_to_predicted"]
        row = table[table.index(f'<tr data-segment="{segment.segment}">') :]
        assert f'<td class="realised">×{ratio["value"]:.2f} (' in row[: row.index("</tr>")]
    rfm = section[section.index('data-segmentation="value"') :]
    assert "realised / predicted" not in rfm[: rfm.index("</table>")]


def test_nothing_to_show_is_no_section_and_a_trend_needs_two_runs() -> None:
    assert measurement_view(None) is None
    assert measurement_view({"kpis": [], "experiments": []}) is None
    estimate = {"value": 0.2, "ci_low": 0.1, "ci_high": 0.3, "lift": 1.0}
    segment = {
        "segment": EVERYONE,
        "customers": 10,
        "revenue_per_customer": estimate,
        "conversion": estimate,
        "aov": estimate,
        "repeat_rate": estimate,
        "churn": estimate,
    }
    run = {
        "run_id": 1,
        "as_of": "2026-01-31",
        "window_days": 30,
        "observed_days": 12.5,
        "segments": [segment],
    }
    one = measurement_view({"kpis": [{"segmentation": "s", "runs": [run]}], "experiments": []})
    assert one is not None
    assert "revenue per customer" in one["columns"] and "AOV" in one["columns"]
    assert one["kpis"][0]["partial"] == "12.5" and one["kpis"][0]["trend"] == ""
    full = {**run, "observed_days": 30.0}
    two = measurement_view(
        {"kpis": [{"segmentation": "s", "runs": [full, {**run, "run_id": 2}]}], "experiments": []}
    )
    assert two is not None
    assert "plotly" in two["kpis"][0]["trend"]
    # A window still open is labelled on the trend's axis; a full one is not.
    assert two["kpis"][0]["trend"].count("2026-01-31 (12.5 of 30 days)") >= 1
    assert "(30 of 30 days)" not in two["kpis"][0]["trend"]
    assert one["kpis"][0]["notes"] == []
    # The table is the run the project judges by; a later open window is said, not shown.
    judged = measurement_view(
        {
            "kpis": [
                {
                    "segmentation": "s",
                    "runs": [full, {**run, "run_id": 2}],
                    "judged_run": 1,
                    "window_note": "run 2 has only 12.5 of its 30 days",
                }
            ],
            "experiments": [],
        }
    )
    assert judged is not None
    view = judged["kpis"][0]
    assert view["run_id"] == 1 and view["partial"] is None
    assert view["window_note"] == "run 2 has only 12.5 of its 30 days"
    assert two["kpis"][0]["run_id"] == 2 and two["kpis"][0]["window_note"] is None


def test_a_segment_that_rests_on_one_buyer_is_flagged_under_its_table() -> None:
    estimate = {"value": 0.2, "ci_low": 0.1, "ci_high": 0.3, "lift": 1.0}
    names = ("revenue_per_customer", "conversion", "aov", "repeat_rate", "churn")
    kpis = dict.fromkeys(names, estimate)
    note = "one customer made 50% of the revenue of Big in the window; the segment's..."
    segments = [
        {"segment": "Big", "customers": 76, **kpis, "revenue_note": note},
        {"segment": "Tiny", "customers": 3, **kpis, "revenue_note": "one customer made 90%"},
    ]
    run = {"run_id": 1, "as_of": "2026-01-31", "window_days": 30, "observed_days": 30,
           "segments": segments}  # fmt: skip
    view = measurement_view({"kpis": [{"segmentation": "s", "runs": [run]}], "experiments": []})
    assert view is not None
    assert view["kpis"][0]["notes"] == [note]  # a segment under k_min says nothing of its buyers


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium: `make test` installs it")
def test_kpis_and_the_experiment_readout_render_without_console_errors(
    measured: tuple[Any, Any], tmp_path: Path
) -> None:
    result, readout = measured
    rendered = chromium("--dump-dom", result.report.resolve().as_uri())
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    console = [line for line in rendered.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = rendered.stdout
    section = dom[dom.index('id="measure"') :]
    assert section.count('class="kpi"') == 1
    experiment = section[section.index(f'data-experiment="{EXPERIMENT}"') :]
    assert readout.verdicts["Lapsed"] in experiment
    shot = tmp_path / "measure.png"
    taken = chromium(
        "--screenshot=" + str(shot),
        "--window-size=1280,2400",
        result.report.resolve().as_uri() + "#measure",
    )
    assert taken.returncode == 0 and shot.stat().st_size > 10_000


def test_segment_cards_say_what_worked_and_what_did_not(measured: tuple[Any, Any]) -> None:
    result, _ = measured
    page = result.report.read_text()
    lapsed = page[page.index('data-segmentation="lifecycle"') :]
    lapsed = lapsed[lapsed.index('<article class="segment-card" data-segment="Lapsed">') :]
    lapsed = lapsed[: lapsed.index("</article>")]
    assert f"what worked</span> {EXPERIMENT}: free-shipping on conversion +" in lapsed
    vip = page[page.index('<article class="segment-card" data-segment="VIP">') :]
    vip = vip[: vip.index("</article>")]
    assert "what didn&#39;t" in vip or "what didn't" in vip
    assert "(no detectable effect)" in vip


def test_a_window_still_open_is_drawn_apart_on_the_trend() -> None:
    # Online Retail II's run of 2011-11-30 (8.53 of 30 days): joined by a solid line to the
    # whole months before it, every segment's conversion plunged on the chart.
    from segwise.report.measure import conversion_trend

    def run(run_id: int, days: float, value: float) -> dict[str, object]:
        estimate = {"value": value, "ci_low": None, "ci_high": None}
        segment = {"segment": "Champions", "conversion": estimate}
        return {
            "run_id": run_id,
            "as_of": f"2011-{run_id:02d}-28",
            "window_days": 30,
            "observed_days": days,
            "segments": [segment],
        }

    whole = conversion_trend("value", [run(9, 30, 0.45), run(10, 30, 0.57)])
    assert "dot" not in whole and "circle-open" not in whole
    drawn = conversion_trend("value", [run(9, 30, 0.45), run(10, 30, 0.57), run(11, 8.53, 0.27)])
    assert drawn.count('"dash":"dot"') == 1 and drawn.count("circle-open") == 1
    assert "Champions (so far)" in drawn
