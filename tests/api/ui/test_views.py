"""The web UI end to end in a real browser (Playwright driving Debian's Chromium).

Log in with a key, open a segment, edit a rule and watch the count change,
see a syntax error underlined where it is, save, start a run and see it
listed. Every page is screenshot and must log no console error.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(project_copy: Path) -> Iterator[str]:
    """The service on a free loopback port, in a thread of this process."""
    port = _port()
    app = create_app(Settings(project=project_copy, rate_limit=1_000_000))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def browser_page() -> Iterator[tuple[Any, list[str]]]:
    """A fresh Chromium page, and the console errors it logs."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make browser installs Debian's package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, errors
        browser.close()


def _log_in(page: Any, server: str, key: str) -> None:
    page.goto(server + "/ui/login")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/ui")


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one


def test_log_in_edit_a_rule_save_and_run(
    live_server: str,
    browser_page: tuple[Any, list[str]],
    served_project: tuple[Path, dict[str, str]],
    project_copy: Path,
    tmp_path: Path,
) -> None:
    page, errors = browser_page
    key = served_project[1]["editor"]
    page.goto(live_server + "/ui")
    assert "/ui/login" in page.url
    page.fill("#key", "sw_00000000_wrong")
    page.click("button[type=submit]")
    assert "not valid" in page.inner_text(".error")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/ui")
    assert page.locator("section.segmentation").count() >= 4
    _shot(page, tmp_path, "overview")

    page.click("section[data-segmentation=lifecycle] a[data-segment=VIP]")
    page.wait_for_selector("tr.member")
    assert page.locator("tr.member").count() == 50
    page.fill("#member-search", "00001")
    page.wait_for_function(
        "[...document.querySelectorAll('tr.member td a')]"
        ".every(a => a.textContent.startsWith('00001'))"
    )
    _shot(page, tmp_path, "segment")

    page.goto(live_server + "/ui/rules?segmentation=lifecycle")
    vip = page.locator(".rule").first
    page.wait_for_function("document.querySelector('.rule .count strong') !== null")
    before = vip.locator(".count strong").inner_text()
    vip.locator(".rule-where").fill("net_revenue > 1000 AND orders >= 10")
    page.wait_for_function(
        "s => document.querySelector('.rule .count strong')?.textContent !== s", arg=before
    )
    after = vip.locator(".count strong").inner_text()
    assert int(after.replace(",", "")) > int(before.replace(",", ""))

    vip.locator(".rule-where").fill("net_revenue > 1000 AND")
    page.wait_for_selector(".rule.invalid mark.err")
    assert vip.locator(".rule-error").inner_text().startswith("line 1, column 23")
    _shot(page, tmp_path, "rule-error")
    vip.locator(".rule-where").fill("net_revenue > 1000 AND orders >= 10")
    page.wait_for_selector(".rule.invalid", state="detached")

    page.click("#impact")
    page.wait_for_selector("table.impact tr[data-segment=VIP]")
    assert "+" in page.inner_text("table.impact tr[data-segment=VIP] td.plus")
    page.click("#save")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('saved')")
    assert "net_revenue > 1000 AND orders >= 10" in project_copy.read_text()
    _shot(page, tmp_path, "rules-saved")

    page.goto(live_server + "/ui/runs")
    assert page.locator("#runs tr[data-run]").count() == 1
    page.click("#start-run")
    page.wait_for_selector("#runs tr[data-run='2']", timeout=240_000)
    _shot(page, tmp_path, "runs")
    page.goto(live_server + "/ui/segments/lifecycle/VIP")
    assert "+" in page.inner_text(".tiles")  # entries since run 1
    page.wait_for_selector("#members tr.member")
    _shot(page, tmp_path, "segment-after-run")
    assert errors == []


def test_a_viewer_sees_counts_and_no_save_button(
    live_server: str,
    browser_page: tuple[Any, list[str]],
    served_project: tuple[Path, dict[str, str]],
) -> None:
    page, errors = browser_page
    _log_in(page, live_server, served_project[1]["viewer"])
    page.goto(live_server + "/ui/segments/lifecycle/VIP")
    assert "shows counts, not identifiers" in page.inner_text("#members")
    page.goto(live_server + "/ui/rules")
    assert page.locator("#save").count() == 0
    # The customers no rule matched are the catalog's Other segment, named as such.
    page.wait_for_function("document.getElementById('status').textContent.includes('matched')")
    assert " in Other (no rule matched)" in page.inner_text("#status")
    page.goto(live_server + "/ui/customers?id=0000004")
    assert "needs an editor or admin key" in page.inner_text("main")
    assert errors == []


def test_why_explains_a_customer_of_the_catalogs_rest(
    live_server: str,
    browser_page: tuple[Any, list[str]],
    served_project: tuple[Path, dict[str, str]],
) -> None:
    # "why?" beside a customer's Other answered "no segment 'Other' in catalog 'lifecycle'".
    from segwise.store import Workspace

    config, keys = served_project
    rest = Workspace(config.parent / "segwise.duckdb").members("Other", segmentation="lifecycle")
    customer = rest["customer_id"][0]
    page, errors = browser_page
    _log_in(page, live_server, keys["editor"])
    page.goto(f"{live_server}/ui/customers?id={customer}")
    page.click("button.explain[data-segmentation=lifecycle]")
    page.wait_for_function("document.getElementById('explanation').textContent.length > 0")
    shown = page.inner_text("#explanation")
    assert shown.startswith(f"customer {customer} is IN segment 'Other' (the catalog's rest")
    assert "FALSE  VIP: " in shown
    assert errors == []


def test_a_customers_path_reads_as_the_cli_shows_it(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    # The page listed the raw path, a row per run and segmentation under "run_id", "as_of".
    from segwise.store import Workspace

    config, keys = served_project
    customer = Workspace(config.parent / "segwise.duckdb").members("VIP", segmentation="lifecycle")
    customer_id = customer["customer_id"][0]
    with TestClient(create_app(Settings(project=config))) as service:
        service.post("/ui/login", data={"key": keys["admin"]}, follow_redirects=False)
        page = service.get(f"/ui/customers?id={customer_id}").text
    table = page[page.index('id="path"') : page.index("</table>", page.index('id="path"'))]
    header = table[: table.index("</thead>")]
    assert "<th>as of</th>" in header and "<th>lifecycle</th>" in header
    assert "run_id" not in table and "as_of" not in table
    assert table.count("<tr>") == 2  # the header and the one stored run
    assert "<td>VIP</td>" in table


def test_a_session_cookie_cannot_change_anything_without_the_ui_header(
    project_copy: Path, served_project: tuple[Path, dict[str, str]]
) -> None:
    with TestClient(create_app(Settings(project=project_copy))) as service:
        login = service.post(
            "/ui/login", data={"key": served_project[1]["admin"]}, follow_redirects=False
        )
        assert login.status_code == 303
        cookie = login.cookies["segwise_session"]
        assert served_project[1]["admin"] not in cookie
        assert "httponly" in login.headers["set-cookie"].lower()
        assert "samesite=strict" in login.headers["set-cookie"].lower()
        service.cookies.set("segwise_session", cookie)
        assert service.get("/api/v1/runs").status_code == 200
        forged = service.delete("/api/v1/definitions/lifecycle")
        assert forged.status_code == 403
        allowed = service.post(
            "/api/v1/rules/check", json={"rule": "orders > 1"}, headers={"X-Segwise-Request": "ui"}
        )
        assert allowed.status_code == 200
        refused = service.post("/ui/login", data={"key": "x", "next": "https://evil.example"})
        assert "not valid" in refused.text
        assert "segwise_session" not in refused.cookies
        redirect = service.post(
            "/ui/login",
            data={"key": served_project[1]["admin"], "next": "https://evil.example"},
            follow_redirects=False,
        )
        assert redirect.headers["location"] == "/ui"


def test_pages_need_a_session_and_static_files_stay_in_the_package(
    client: TestClient, keys: dict[str, str]
) -> None:
    pages = ("/ui", "/ui/rules", "/ui/runs", "/ui/customers", "/ui/destinations", "/ui/measure")
    for path in (*pages, "/ui/segments/lifecycle/VIP"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/ui/login")
    assert client.get("/ui/static/plotly.min.js").status_code == 200
    for name in ("../views.py", "..%2Fviews.py", "nope.js"):
        assert client.get(f"/ui/static/{name}").status_code == 404
    assert client.get("/", follow_redirects=False).headers["location"] == "/ui"
    assert bearer(keys["viewer"])  # keys do not open pages: the UI logs in with a session


def test_an_editor_syncs_the_destinations_from_their_page(
    live_server: str,
    browser_page: tuple[Any, list[str]],
    served_project: tuple[Path, dict[str, str]],
    project_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.activation.receiver import Receiver
    from tests.activation.test_receiver import SECRET, expected, with_hook

    monkeypatch.setenv("SEGWISE_HOOK_SECRET", SECRET)  # the sync job's process inherits it
    page, errors = browser_page
    with Receiver(SECRET) as hook:
        with_hook(project_copy, hook.url)  # the service reads the edited file on its next page
        _log_in(page, live_server, served_project[1]["editor"])
        page.goto(live_server + "/ui/destinations")
        assert "never synced" in page.inner_text("#destinations tr[data-destination=hook]")
        page.click("#start-sync")
        page.wait_for_selector("#destinations td.delivery.delivered", timeout=120_000)
        assert page.locator("#deliveries tr.delivery").count() == 1
        _shot(page, tmp_path, "destinations")
        assert hook.members == expected(project_copy)
    assert errors == []


def test_the_measure_page_shows_kpis_and_the_experiments(
    browser_page: tuple[Any, list[str]], experiment_copy: Path, tmp_path: Path
) -> None:
    import segwise as sw
    from segwise.project import open_workspace
    from segwise.project.experiment_analysis import analyze_experiment
    from segwise.store.keys import create_key
    from tests.project.experiment_demo import EXPERIMENT

    config = experiment_copy
    readout = analyze_experiment(sw.Project.from_yaml(config), EXPERIMENT, segmentation="lifecycle")
    key = create_key(open_workspace(config), "analyst", "viewer")[1]
    port = _port()
    app = create_app(Settings(project=config, rate_limit=1_000_000))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    page, errors = browser_page
    try:
        live = f"http://127.0.0.1:{port}"
        _log_in(page, live, key)
        page.click("nav a[href='/ui/measure']")
        page.wait_for_selector("#kpi-table")
        assert "run 1 (as of 2024-09-30)" in page.inner_text("#kpis")
        assert page.locator("#kpi-table tbody tr").count() == 6  # everyone + 5 segments
        experiment = page.inner_text(f"#experiments [data-experiment={EXPERIMENT}]")
        assert readout.verdicts["Lapsed"] in experiment
        _shot(page, tmp_path, "measure")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert errors == []
