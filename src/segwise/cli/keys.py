"""``segwise keys create|list|revoke`` and ``segwise audit``: the service's keys and log."""

from __future__ import annotations

from typing import Annotated

import typer

from segwise.cli import options as opt
from segwise.cli.console import cli_actor, json_text, stdout, user_errors
from segwise.cli.project import Config

keys_app = typer.Typer(
    name="keys",
    help="API keys of the service (segwise serve).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@keys_app.command("create")
@user_errors
def create(
    config: Config,
    name: Annotated[str, typer.Argument(help="A label for the key, e.g. crm-sync.")],
    role: Annotated[str, typer.Option("--role", help="viewer, editor or admin.")] = "viewer",
    grant: Annotated[
        list[str] | None,
        typer.Option("--grant", help="An extra right: 'members' lets a viewer see member ids."),
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """Create a key and print it once, alone on stdout; only its hash is stored."""
    from segwise.project import open_workspace
    from segwise.store import audit
    from segwise.store.keys import create_key

    store = open_workspace(config)
    key, text = create_key(store, name, role, tuple(grant or ()))
    audit.record(
        store,
        cli_actor(),
        "key.create",
        key.name,
        detail={"key_id": key.key_id, "role": key.role, "grants": list(key.grants)},
    )
    if as_json:
        typer.echo(json_text({"name": key.name, "role": key.role, "key": text}))
        return
    typer.echo(text)


@keys_app.command("list")
@user_errors
def list_(config: Config, as_json: opt.Json = False) -> None:
    """List the keys: name, id, role, created, revoked (never the keys themselves)."""
    from rich.table import Table

    from segwise.project import open_workspace
    from segwise.store.keys import list_keys

    found = [k.to_dict() for k in list_keys(open_workspace(config))]
    console = stdout()
    if as_json:
        console.print_json(json_text(found))
        return
    table = Table(title=f"{len(found)} keys", title_justify="left")
    for column in ("name", "key id", "role", "grants", "created", "revoked"):
        table.add_column(column)
    for key in found:
        table.add_row(
            key["name"],
            key["key_id"],
            key["role"],
            ", ".join(key["grants"]),
            key["created_at"],
            key["revoked_at"] or "",
        )
    console.print(table)


@keys_app.command("revoke")
@user_errors
def revoke(
    config: Config,
    name: Annotated[str, typer.Argument(help="The key's name or id.")],
) -> None:
    """Revoke a key: the service refuses it from its next request."""
    from segwise.project import open_workspace
    from segwise.store import audit
    from segwise.store.keys import revoke_key

    store = open_workspace(config)
    key = revoke_key(store, name)
    audit.record(store, cli_actor(), "key.revoke", key.name, detail={"key_id": key.key_id})
    stdout().print(f"revoked key '{key.name}' ({key.key_id})", highlight=False)


@user_errors
def audit(
    config: Config,
    limit: Annotated[int, typer.Option("--limit", help="Newest entries to show.", min=1)] = 100,
    as_json: opt.Json = False,
) -> None:
    """The audit log: who changed which definition, ran what, managed which key, when."""
    from rich.table import Table

    from segwise.project import open_workspace
    from segwise.store import audit as log

    entries = log.entries(open_workspace(config), limit=limit)
    console = stdout()
    if as_json:
        console.print_json(json_text(entries.to_dicts()))
        return
    table = Table(title=f"{entries.height} entries, newest first", title_justify="left")
    for column in ("at", "actor", "action", "target"):
        table.add_column(column)
    for row in entries.iter_rows(named=True):
        table.add_row(
            f"{row['happened_at']:%Y-%m-%d %H:%M:%S}", row["actor"], row["action"], row["target"]
        )
    console.print(table)
