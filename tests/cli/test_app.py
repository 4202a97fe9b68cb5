"""The CLI skeleton starts light: no numeric, dataframe or plotting library until needed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pathlib import Path

HEAVY = ("scipy", "sklearn", "plotly", "polars", "duckdb", "numpy", "pandas", "pyarrow")


def _loaded_after(code: str) -> set[str]:
    """Top-level modules a fresh interpreter holds after running ``code``."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    probe = f"{code}\nimport json, sys\n{listing}"
    found = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    )
    return set(json.loads(found.stdout.splitlines()[-1]))


def test_importing_segwise_and_its_cli_loads_no_heavy_library() -> None:
    assert not _loaded_after("import segwise, segwise.cli.app") & set(HEAVY)


def test_parsing_a_commands_options_loads_no_validation_or_heavy_library() -> None:
    # typer 0.29 built a pydantic adapter for every option: 0.14 s on every command.
    loaded = _loaded_after(
        "import sys\n"
        "sys.argv = ['segwise', 'quality', 'x.csv', '--help']\n"
        "from segwise.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert "typer" in loaded
    assert not loaded & {"pydantic", *HEAVY}


def test_rfm_on_a_parquet_file_loads_only_polars_and_narwhals(tmp_path: Path) -> None:
    # Its fixed cost is issue 21's measure: pydantic (0.1-0.15 s) is for project files and
    # user-written maps, NumPy for jenks bins, DuckDB for databases, PyYAML (38 ms) for
    # YAML maps (the bundled ones are read from JSON); this run needs none.
    source = tmp_path / "tiny.parquet"
    pl.DataFrame(
        {
            "customer_id": [str(i % 10) for i in range(50)],
            "order_date": [date(2024, 1, 1) + timedelta(days=i) for i in range(50)],
            "amount": [1.0 + i % 7 for i in range(50)],
        }
    ).write_parquet(source)
    argv = ["segwise", "rfm", str(source), "-o", str(tmp_path / "out.parquet")]
    loaded = _loaded_after(
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"sys.argv = {argv!r}\n"
        "from segwise.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code"
    )
    assert (tmp_path / "out.parquet").exists()
    assert "polars" in loaded
    heavy = {"pydantic", "yaml", "numpy", "duckdb", "pyarrow", "pandas", "scipy", "sklearn"}
    assert not loaded & heavy


def test_a_command_imports_its_own_module_and_no_other_command() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['segwise', 'rules', '--help']\n"
        "from segwise.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('segwise.cli.')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    )
    modules = found.stdout.splitlines()[-1]
    assert "'segwise.cli.rules'" in modules
    assert "segwise.cli.activation" not in modules and "segwise.cli.serve" not in modules
    assert "Usage: segwise rules" in found.stdout


def test_the_whole_app_lists_every_command_in_order() -> None:
    from segwise.cli.app import COMMANDS, GROUPS, app

    listed = [c.callback.__name__ for c in app.registered_commands if c.callback]
    assert listed == [name for name, _ in COMMANDS]
    groups = [g.typer_instance.info.name for g in app.registered_groups if g.typer_instance]
    assert groups == [n for n, _, _ in GROUPS]


def test_the_public_names_still_resolve_on_first_use() -> None:
    loaded = _loaded_after(
        "import segwise as sw\n"
        "from segwise import rfm_table\n"
        "assert sw.BetaGeoModel.__name__ == 'BetaGeoModel' and callable(rfm_table)\n"
        "assert 'BetaGeoModel' in dir(sw) and 'Project' in dir(sw)\n"
        "assert sw.models.BetaGeoModel is sw.BetaGeoModel\n"
        "assert not hasattr(sw, 'nothing_of_that_name')"
    )
    assert {"scipy", "polars"} <= loaded  # now they are needed, and loaded


def test_a_warning_no_command_shows_itself_is_one_line_on_stderr(tmp_path: Path) -> None:
    # It came out as Python writes warnings: ".../readers.py:235: AmbiguousDatesWarning: ..."
    # and the line of source after it.
    source = tmp_path / "orders.csv"
    source.write_text(
        "customer_id,order_date,amount\n"
        + "".join(f"c{i % 9},{1 + i % 12:02d}/{1 + (i * 5) % 12:02d}/2024,10\n" for i in range(40))
    )
    found = subprocess.run(
        [sys.executable, "-m", "segwise", "rfm", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    lines = [line for line in found.stderr.splitlines() if "%m/%d/%Y" in line]
    assert lines == [
        f"warning: {source}: column 'order_date': every date reads both %d/%m/%Y and "
        f"%m/%d/%Y (e.g. '02/06/2024'); read as %d/%m/%Y. If that is wrong, pass --date-format "
        "'%m/%d/%Y' (timestamp_format: in the project file)"
    ]
    assert "Warning:" not in found.stderr and ".py:" not in found.stderr
