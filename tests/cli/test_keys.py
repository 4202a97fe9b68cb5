"""`segwise keys create|list|revoke` and `segwise audit`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.store.keys import split_key

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def test_create_prints_the_key_alone_and_list_never_shows_it(project_copy: Path) -> None:
    made = runner.invoke(app, ["keys", "create", str(project_copy), "ci-bot", "--role", "editor"])
    assert made.exit_code == 0, made.stderr
    key = made.stdout.strip()
    assert made.stdout == key + "\n"
    assert split_key(key) is not None
    listed = runner.invoke(app, ["keys", "list", str(project_copy), "--json"])
    rows = json.loads(listed.stdout)
    assert {"name": "ci-bot", "role": "editor"}.items() <= next(
        r for r in rows if r["name"] == "ci-bot"
    ).items()
    assert key not in listed.stdout
    as_json = runner.invoke(app, ["keys", "create", str(project_copy), "ci-2", "--json"])
    assert json.loads(as_json.stdout)["role"] == "viewer"


def test_revoke_and_the_audit_log(project_copy: Path) -> None:
    runner.invoke(app, ["keys", "create", str(project_copy), "temp", "--role", "viewer"])
    revoked = runner.invoke(app, ["keys", "revoke", str(project_copy), "temp"])
    assert revoked.exit_code == 0
    assert "revoked key 'temp'" in revoked.stdout
    log = json.loads(runner.invoke(app, ["audit", str(project_copy), "--json"]).stdout)
    assert [(e["action"], e["target"]) for e in log[:2]] == [
        ("key.revoke", "temp"),
        ("key.create", "temp"),
    ]
    assert log[0]["actor"].startswith("cli")
    table = runner.invoke(app, ["audit", str(project_copy)])
    assert "key.revoke" in table.stdout


def test_user_errors_are_one_line(project_copy: Path) -> None:
    bad_role = runner.invoke(app, ["keys", "create", str(project_copy), "x", "--role", "root"])
    assert bad_role.exit_code == 1
    assert bad_role.stderr.strip().splitlines() == [
        "error: unknown role 'root'. Use viewer, editor or admin."
    ]
    missing = runner.invoke(app, ["keys", "revoke", str(project_copy), "nobody"])
    assert missing.exit_code == 1
    assert "no active key named 'nobody'" in missing.stderr
