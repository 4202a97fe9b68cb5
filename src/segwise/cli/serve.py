"""``segwise serve CONFIG``: the REST API and web UI over one project (uvicorn, one process)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from segwise.cli.console import user_errors
from segwise.cli.project import Config


@user_errors
def serve(
    config: Config,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    debug_ids: Annotated[
        bool,
        typer.Option(
            "--debug-ids", help="Log request paths with the ids in them (off: route templates)."
        ),
    ] = False,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", help="Requests per minute per key.", min=1)
    ] = 600,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin", help="Allow this browser origin (repeatable; off by default)."
        ),
    ] = None,
    log_file: Annotated[
        str | None,
        typer.Option(
            "--log-file",
            help="Also append the JSON logs to this file, inside the project folder "
            "(segwise forget cleans it).",
        ),
    ] = None,
) -> None:
    """Serve the project's REST API (/api/v1, OpenAPI at /docs) and web UI.

    Every request needs an API key (segwise keys create). The project stays confined to its
    folder (there is no --allow-outside here: the service takes definitions from other people).
    Stops cleanly on Ctrl-C or SIGTERM: requests in flight finish; a run started from the
    service finishes in its own process.
    """
    import uvicorn

    from segwise.project import open_workspace
    from segwise.store.keys import list_keys

    store = open_workspace(config)
    if not any(k.active for k in list_keys(store)):
        sys.stderr.write(
            f"note: no API keys yet; create one with: segwise keys create {config} NAME "
            "--role admin\n"
        )
    os.environ["SEGWISE_PROJECT"] = str(config.resolve())
    os.environ["SEGWISE_DEBUG_IDS"] = "1" if debug_ids else "0"
    os.environ["SEGWISE_RATE_LIMIT"] = str(rate_limit)
    os.environ["SEGWISE_CORS_ORIGINS"] = ",".join(cors_origin or [])
    os.environ["SEGWISE_LOG_FILE"] = log_file or ""
    # By import string: the CLI never imports the api package (they are sibling layers).
    uvicorn.run(
        "segwise.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,  # the app logs each request as JSON, without ids
        log_level="warning",
        timeout_graceful_shutdown=30,
    )
