"""The CLI skeleton starts light: no numeric, dataframe or plotting library until needed."""

from __future__ import annotations

import json
import subprocess
import sys

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
