"""The UI's pages: login with a key, segments, a segment, the rule editor, customers, runs.

Pages are rendered on the server from the store; their live parts (members
table, rule editor, runs) call the JSON API from ``static/ui.js`` with the
session cookie. Nothing is loaded from another origin: the CSS, the script
and plotly.js all come from the installed package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import jinja2
import plotly
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from segwise._version import __version__
from segwise.api.auth import SESSION_COOKIE, StateDep, session_principal, session_token
from segwise.api.state import Principal, ServiceState
from segwise.api.ui import pages
from segwise.exceptions import SegwiseError
from segwise.lang.parser import reads_as_rule
from segwise.project.definitions import versions, written
from segwise.project.jobs import list_jobs
from segwise.report.alerts import alert_rows

router = APIRouter(prefix="/ui", include_in_schema=False)

_TEMPLATES = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("segwise.api.ui", "templates"),
            jinja2.PackageLoader("segwise.report", "templates"),
        ]
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_TEMPLATES.tests["rule"] = reads_as_rule  # as the report sets a definition: code or words

_STATIC = {
    "ui.css": ("text/css", resources.files("segwise.api.ui") / "static" / "ui.css"),
    "ui.js": ("text/javascript", resources.files("segwise.api.ui") / "static" / "ui.js"),
    "plotly.min.js": (
        "text/javascript",
        Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
    ),
}


def _render(
    request: Request, template: str, principal: Principal | None, status: int = 200, **data: Any
) -> HTMLResponse:
    state: ServiceState = request.app.state.service
    html = _TEMPLATES.get_template(template).render(
        project=state.project().config.name,
        version=__version__,
        user=principal,
        page=template.split(".", maxsplit=1)[0],
        **data,
    )
    return HTMLResponse(html, status_code=status)


def _login_first(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/ui/login?next={request.url.path}", status_code=303)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The UI's own CSS and script, and plotly.js from the installed plotly package."""
    found = _STATIC.get(name)
    if found is None:
        return Response("not found", status_code=404)
    media, path = found
    return FileResponse(str(path), media_type=media, headers={"Cache-Control": "max-age=3600"})


@router.get("/login")
def login_page(request: Request, next: str = "/ui") -> HTMLResponse:
    """A form that takes an API key."""
    return _render(request, "login.html.j2", None, next=_local(next), error=None)


@router.post("/login")
def login(
    request: Request,
    state: StateDep,
    key: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/ui",
) -> Response:
    """Check the key; on success a signed session cookie (the key itself is never stored)."""
    principal = state.authenticate(key.strip())
    if principal is None:
        return _render(
            request,
            "login.html.j2",
            None,
            next=_local(next),
            error="That key is not valid, or it was revoked.",
        )
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_token(state, principal),
        max_age=state.settings.session_seconds,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def _local(target: str) -> str:
    """Only paths of this UI: a login never redirects to another site."""
    return target if target.startswith("/ui") and "//" not in target else "/ui"


@router.post("/logout")
def logout() -> Response:
    """Forget the session."""
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("")
def overview(request: Request, state: StateDep) -> Response:
    """Every segmentation of the latest run, as cards."""
    principal = session_principal(state, request)
    if principal is None:
        return _login_first(request)
    k_min = state.project().config.privacy.k_min
    data = (
        state.reading(lambda store: pages.overview(store, k_min))
        if state.store_path.exists()
        else None
    )
    return _render(request, "overview.html.j2", principal, data=data)


@router.get("/segments/{segmentation}/{segment}")
def segment(request: Request, state: StateDep, segmentation: str, segment: str) -> Response:
    """One segment: card, size over time, members, moves and the migration Sankey."""
    principal = session_principal(state, request)
    if principal is None:
        return _login_first(request)
    k_min = state.project().config.privacy.k_min
    data = state.reading(lambda store: pages.segment_page(store, segmentation, segment, k_min))
    if data is None:
        return _render(
            request,
            "missing.html.j2",
            principal,
            status=404,
            what=f"segment '{segment}' of '{segmentation}'",
        )
    return _render(request, "segment.html.j2", principal, data=data, members=principal.sees_members)


@router.get("/rules")
def rules(request: Request, state: StateDep, segmentation: str | None = None) -> Response:
    """The rule editor: live sizes per condition, errors underlined, impact before saving."""
    principal = session_principal(state, request)
    if principal is None:
        return _login_first(request)
    config = state.project().config
    editable = [
        name
        for name, spec in config.segmentations.items()
        if spec.method == "rules" and getattr(spec, "catalog", None) is None
    ]
    chosen = segmentation if segmentation in editable else (editable[0] if editable else None)
    spec = None if chosen is None else written(state.project_file)[chosen]
    current = None if chosen is None else versions(state.project_file)[chosen]
    return _render(
        request,
        "rules.html.j2",
        principal,
        editable=editable,
        chosen=chosen,
        spec=spec,
        definition_version=current,
        can_save=principal.has("editor"),
    )


@router.get("/customers")
def customers(request: Request, state: StateDep, id: str | None = None) -> Response:
    """Look a customer up: segments now, their path through the runs, why (rules)."""
    principal = session_principal(state, request)
    if principal is None:
        return _login_first(request)
    found, error = None, None
    if id and principal.sees_members:
        try:
            project = state.project()
            found = state.reading(lambda store: _customer(store, id, project))
        except SegwiseError as exc:
            error = exc.one_line()
    config = state.project().config
    # A hybrid's leaf is explained by its parent's rule (the part before " › ").
    rule_segmentations = [
        n for n, s in config.segmentations.items() if s.method in {"rules", "hybrid"}
    ]
    return _render(
        request,
        "customer.html.j2",
        principal,
        customer_id=id,
        found=found,
        error=error,
        rule_segmentations=rule_segmentations,
    )


def _customer(store: Any, customer_id: str, project: Any) -> dict[str, Any] | None:
    from segwise.project.pseudonyms import as_stored  # noqa: PLC0415 - loads DuckDB

    with store.reading():
        # With pseudonyms, the id as written (a CRM's) or as stored (a list's).
        stored = as_stored(project, customer_id, lambda i: store.history(i).path.height > 0)
        held = store.customer_segments(stored)
        found = store.history(stored)
    history = found.to_dict()
    if held.height == 0 and not history.get("path"):
        return None
    names, runs = found.by_run()
    return {"segments": held.to_dicts(), "history": history, "names": names, "runs": runs}


@router.get("/runs")
def runs(request: Request, state: StateDep) -> Response:
    """Stored runs, runs started here (with progress), failures and alerts."""
    principal = session_principal(state, request)
    if principal is None:
        return _login_first(request)
    stored, failures, alerts = [], [], []
    if state.store_path.exists():

        def read(store: Any) -> tuple[list[Any], list[Any], list[Any]]:
            with store.reading():
                found = store.runs()
                return (
                    found.to_dicts(),
                    store.failures().to_dicts(),
                    store.alerts().to_dicts() if found.height else [],
                )

        stored, failures, alerts = state.reading(read)
    return _render(
        request,
        "runs.html.j2",
        principal,
        runs=list(reversed(stored)),
        failures=failures,
        alerts=alert_rows(alerts),
        jobs=[j.to_dict() for j in list_jobs(state.store_path) if j.kind == "run"][:10],
        can_run=principal.has("editor"),
    )


@router.get("/destinations")
def destinations(request: Request, state: StateDep) -> Response:
    """Where segments go: each destination's last delivery, the log, and a sync button."""
    principal = session_principal(state, request)
    if principal is None:
        return _login_first(request)
    config = state.project().config
    data = state.reading(lambda store: pages.destinations_page(store, config))
    jobs = [j.to_dict() for j in list_jobs(state.store_path) if j.kind == "sync"][:10]
    return _render(request, "destinations.html.j2", principal, data=data, jobs=jobs,
                   can_sync=principal.has("editor"))  # fmt: skip


@router.get("/measure")
def measure(
    request: Request, state: StateDep, segmentation: str | None = None, run: int | None = None
) -> Response:
    """How each segment did after a run (KPIs, conversion by run), and the experiments."""
    principal = session_principal(state, request)
    if principal is None:
        return _login_first(request)
    try:
        data = pages.measure_page(state.project(), segmentation, run)
    except SegwiseError:
        from segwise.project.experiment_analysis import customer_segmentations  # noqa: PLC0415

        if run is not None and segmentation in (None, *customer_segmentations(state.project())):
            return _render(request, "missing.html.j2", principal, status=404,
                           what=f"run {run} with orders after it", where="to measure")  # fmt: skip
        return _render(
            request,
            "missing.html.j2",
            principal,
            status=404,
            what=f"segmentation of customers '{segmentation}'",
        )
    return _render(request, "measure.html.j2", principal, data=data)
