"""The UI's page data, read from the store without a browser."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.api.ui.pages import segment_page
from segwise.store import Workspace
from tests.store.test_refits import refitted_store_at

if TYPE_CHECKING:
    from pathlib import Path


def test_the_segment_page_of_a_refitted_clustering_carries_the_note(tmp_path: Path) -> None:
    store = Workspace(refitted_store_at(tmp_path / "store.duckdb"))
    page = segment_page(store, "groups", "Quiet")
    assert page is not None and page["refit_note"] is not None
    assert page["refit_note"].startswith("groups was fitted afresh between run 1 and run 2")
    ruled = segment_page(store, "value", "All")
    assert ruled is not None and ruled["refit_note"] is None
