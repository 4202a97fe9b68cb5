"""The project report in a real browser: headless Chromium, no console errors, every card."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from segwise.profiling.amounts import money
from segwise.profiling.separation import separation
from segwise.project import Project

if TYPE_CHECKING:
    from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
]


@pytest.fixture(scope="module")
def run(demo_run: Any) -> Any:
    return demo_run


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=180, check=False
    )


def test_the_report_says_what_each_rfm_score_means(run: Any) -> None:
    page = run.report.read_text()
    [table] = re.findall(r'<table class="scores">.*?</table>', page, flags=re.S)
    assert "What the scores mean in this run" in table
    assert [int(s) for s in re.findall(r'data-score="(\d)"', table)] == [5, 4, 3, 2, 1]
    rows = re.findall(r"<tr data-score.*?</tr>", table, flags=re.S)
    recency = [re.findall(r"<td>([^<]*)</td>", row)[1] for row in rows]
    assert recency[0].startswith("≤ ") and recency[-1].startswith("≥ ")  # newest, oldest
    assert all("–" in r for r in recency[1:-1])  # the middle scores: a range each


def test_tier_values_read_as_the_cards_amounts(run: Any) -> None:
    # They showed pence beside the cards' whole amounts ("1,510.68" against "6,794").
    page = run.report.read_text()
    future = next(s for s in run.segmentations if s.name == "future")
    for row in future.backtest["by_tier"]:
        found = re.search(rf'<tr data-tier="{row["tier"]}">(.*?)</tr>', page, flags=re.S)
        assert found is not None, row["tier"]
        cells = re.findall(r"<td>([^<]*)</td>", found.group(1))
        assert cells[2:] == [money(row["predicted_value"]), money(row["actual_value"])]


def test_the_report_reads_the_silhouette_in_words(run: Any) -> None:
    # "silhouette 0.23" was left to be read; most customer tables are one population sliced.
    page = run.report.read_text()
    behaviour = next(s for s in run.segmentations if s.name == "behaviour")
    assert f"silhouette {separation(behaviour.definition['silhouette'])}" in page


def test_a_definition_is_code_only_when_it_is_a_rule(run: Any) -> None:
    # RFM's "Bought recently, buy often and spend the most." was set in a code font too.
    import html

    page = run.report.read_text()
    shown = [
        (bool(code), html.unescape(code or words).strip())
        for code, words in re.findall(
            r'<span class="k">definition</span> (?:<code>(.*?)</code>|([^<]*))</p>', page
        )
    ]
    by_text = {text: code for code, text in shown}
    value = next(s for s in run.segmentations if s.name == "value")
    rules = next(s for s in run.segmentations if s.method == "rules")
    prose = [c.definition for c in value.cards if c.definition]
    written = [c.definition for c in rules.cards if c.definition and " " in c.definition]
    assert prose and all(by_text[d] is False for d in prose)
    assert any(by_text.get(d) is True for d in written)


def test_report_is_self_contained(run: Any) -> None:
    page = run.report.read_text()
    assert "<script src=" not in page and "<link " not in page  # Plotly is inlined
    assert "Configuration" in page and "method: cluster" in page  # the config appendix


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium: `make test` installs it")
def test_report_renders_in_headless_chromium_with_every_card(run: Any, tmp_path: Path) -> None:
    url = run.report.resolve().as_uri()
    rendered = chromium("--dump-dom", url)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    console = [line for line in rendered.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    dom = rendered.stdout
    expected = [(s.name, card.name) for s in run.segmentations for card in s.cards]
    assert dom.count('class="segment-card"') == len(expected)
    for segmentation, name in expected:
        # The browser serialises attributes escaping only &, " and non-breaking spaces.
        attribute = name.replace("&", "&amp;").replace('"', "&quot;")
        assert f'data-segment="{attribute}"' in dom, (segmentation, name)
    # Plotly drew every chart (its SVG roots exist only after the scripts ran).
    charts = dom.count("plotly-graph-div js-plotly-plot")  # the class Plotly adds when drawn
    assert charts >= 2 * len(run.segmentations)
    assert dom.count('class="main-svg"') >= charts
    shot = tmp_path / "report.png"
    taken = chromium(f"--screenshot={shot}", "--window-size=1280,2400", url)
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a blank page is a few kB


def test_report_is_byte_reproducible(run: Any, tmp_path: Path) -> None:
    # Issue 12, defect 27: Plotly's random div ids made every rendering differ.
    import datetime as dt

    from segwise.report.project import render_project_report

    rendered = []
    for name in ("a.html", "b.html"):
        path = render_project_report(
            tmp_path / name,
            project="shop",
            run_id=run.run_id,
            as_of=run.as_of,
            engine=run.engine,
            quality=run.quality,
            segmentations=run.segmentations,
            config_text="name: shop",
            generated=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )
        rendered.append(path.read_bytes())
    assert rendered[0] == rendered[1]
    assert b'id="chart-' in rendered[0]


@pytest.mark.realdata
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium: `make test` installs it")
def test_degenerate_clv_fit_is_warned_in_the_rendered_report(
    shared_data: Path, tmp_path: Path
) -> None:
    # Issue 11: on Online Retail II P(alive) cannot discriminate (no dropout, or 95% in one
    # segment); the run falls back and the report must say so.
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(shared_data / "online_retail_ii_2009_2010.csv.gz", data / "orders.csv.gz")
    (tmp_path / "segwise.yaml").write_text(
        "name: retail\n"
        "sources:\n  transactions: {path: data/orders.csv.gz}\n"
        "segmentations:\n  future: {method: clv}\n"
    )
    result = Project.from_yaml(tmp_path).run()
    future = result.segmentations[0]
    warnings = future.warnings
    assert any(
        "almost no dropout" in w or "as churn risks, so it cannot tell" in w for w in warnings
    )
    sizes = {card.name: card.share for card in future.cards}
    assert max(sizes.values()) <= 0.95  # the fallback still discriminates
    assert "own time between purchases" in next(
        c.definition for c in future.cards if c.name == "Churn risk"
    )
    # A P(alive) the run calls useless is no trait ("92% chance they are still active" on
    # the at-risk card contradicted it).
    assert not any("still active" in trait for card in future.cards for trait in card.traits)
    rendered = chromium("--dump-dom", result.report.resolve().as_uri())
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    assert 'class="warning"' in rendered.stdout
    assert warnings[0].split(";")[0].replace("'", "&#39;") in rendered.stdout


def test_profile_heatmap_is_centred_on_the_average() -> None:
    # Issue 11: zmid was ignored beside zmin/zmax, so every 1.0× cell was dark red.
    import json
    import re

    from segwise.report.project import _profile_chart

    cards = [
        {"name": "A", "lift": {"spend": 2.0, "orders": 1.0}},
        {"name": "B", "lift": {"spend": 0.5, "orders": 1.0}},
    ]
    html = _profile_chart(cards, "profile")
    figure = json.loads(
        re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", html, re.S)[1]
    )
    heatmap = figure[0]
    assert heatmap["zmin"] == -heatmap["zmax"]
    # orders (1.0×) sit exactly on the colour scale's middle; 2× and ½× equally far out.
    by_feature = dict(zip(heatmap["x"], zip(*heatmap["z"], strict=True), strict=True))
    assert by_feature["orders"] == (0.0, 0.0)
    assert by_feature["spend"][0] == -by_feature["spend"][1] == 1.0


def test_no_segment_size_under_k_min_is_in_the_report_or_the_api(
    experiment_copy: Path,
) -> None:
    """Small groups: the report's cards and KPI table, and the API's sizes, parsed."""
    import re

    from fastapi.testclient import TestClient

    from segwise.api import Settings, create_app
    from segwise.project import open_workspace
    from segwise.store.keys import create_key

    store = open_workspace(experiment_copy)
    sizes = sorted(store.segments(1)["size"].to_list())
    k_min = sizes[len(sizes) // 2]  # about half the segments fall under it
    small = [n for n in sizes if n < k_min]
    assert small
    with experiment_copy.open("a") as handle:
        handle.write(f"privacy: {{k_min: {k_min}}}\n")
    page = Project.from_yaml(experiment_copy).run().report.read_text()

    def counts(texts: list[str]) -> list[int]:
        return [int(t.replace(",", "")) for t in texts if not t.startswith("&lt;")]

    shown = re.findall(r'<p class="size"><strong>([^<]+)</strong>', page)
    assert f"&lt; {k_min}" in shown
    assert min(counts(shown)) >= k_min
    moved = page[page.index('<table class="counts">') :]
    moved = moved[: moved.index("</table>")]
    cells = re.findall(r"<td>[+−]?([^<]+)</td>", moved)
    assert f"&lt; {k_min}" in moved
    assert all(n == 0 or n >= k_min for n in counts([c for c in cells if c[0].isdigit()]))
    measured = page[page.index('id="measure"') :]
    customers = re.findall(r'<tr data-segment="[^"]+"><td>[^<]+</td><td>([^<]+)</td>', measured)
    assert f"&lt; {k_min}" in customers and min(counts(customers)) >= k_min
    viewer = create_key(store, "analyst", "viewer")[1]
    with TestClient(create_app(Settings(project=experiment_copy))) as service:
        headers = {"Authorization": f"Bearer {viewer}"}
        listed = service.get("/api/v1/segmentations", headers=headers).json()
        cards = [card for s in listed for card in s["cards"]]
        assert any(card["size_below"] == k_min for card in cards)
        for card in cards:
            for size in (card["size"], card["profile"].get("size")):
                assert size is None or size >= k_min
            if card["size"] is None:
                assert card["share"] is None and card["profile"]["traits"] == []
        hidden = next(s["segmentation"] + "/segments/" + c["segment"] for s in listed
                      for c in s["cards"] if c["size"] is None)  # fmt: skip
        detail = service.get(f"/api/v1/segmentations/{hidden}", headers=headers).json()
        assert all(point["size"] is None or point["size"] >= k_min for point in detail["sizes"])
        count = service.get(f"/api/v1/segmentations/{hidden}/members", headers=headers).json()
        assert count["size"] is None and count["members"] is None
        moves = service.get("/api/v1/changes", headers=headers).json()
        moved_counts = [r[k] for r in moves["segments"] for k in ("before", "after")]
        moved_counts += [r["customers"] for r in moves["matrix"]]
        assert None in moved_counts
        assert all(n is None or n == 0 or n >= k_min for n in moved_counts)
        kpis = service.get("/api/v1/kpis", params={"run": 1}, headers=headers).json()
        rows = kpis["runs"][0]["segments"]
        assert all(r["customers"] is None or r["customers"] >= k_min for r in rows)
        assert any(r["customers_below"] == k_min for r in rows)
        # The web UI reads the same store: its cards, segment page and KPI table alike.
        service.post("/ui/login", data={"key": viewer})
        cards = re.findall(r'<p class="size"><strong>([^<]+)</strong>', service.get("/ui").text)
        assert f"&lt; {k_min}" in cards and min(counts(cards)) >= k_min
        segment_page = service.get("/ui/segments/" + hidden.replace("/segments/", "/")).text
        assert f'<div class="v">&lt; {k_min}</div>' in segment_page
        ui_kpis = re.findall(
            r'<tr data-segment="[^"]+"><td>[^<]+</td><td class="n">([^<]+)</td>',
            service.get("/ui/measure").text,
        )
        assert f"&lt; {k_min}" in ui_kpis and min(counts(ui_kpis)) >= k_min
