"""One check for a command that must refuse: exit 1, the one-line message, no traceback."""

from __future__ import annotations

from typer.testing import CliRunner

from segwise.cli.app import app


def assert_refused(args: list[str], message: str) -> None:
    """``segwise *args`` exits 1 with ``message`` in its output and no traceback."""
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1, (args, refused.output)
    assert message in refused.output, (args, refused.output)
    assert "Traceback" not in refused.output
