"""Files rewritten without a person: tables lose rows, texts lose the quoted values."""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from segwise.io.redact import REDACTED, redact_file

if TYPE_CHECKING:
    from pathlib import Path

ROWS = pl.DataFrame(
    {"customer_id": ["C-17", "C-170", "C-18"], "email": ["z@q.io", "a@q.io", None], "n": [1, 2, 3]}
)


def test_tables_of_every_format_lose_the_rows_that_name_them(tmp_path: Path) -> None:
    ROWS.write_parquet(tmp_path / "a.parquet")
    ROWS.write_ndjson(tmp_path / "a.jsonl")
    ROWS.write_csv(tmp_path / "a.csv")
    with gzip.open(tmp_path / "a.csv.gz", "wb") as handle:
        ROWS.write_csv(handle)
    for name in ("a.parquet", "a.jsonl", "a.csv", "a.csv.gz"):
        assert redact_file(tmp_path / name, {"z@q.io"}) == 1, name
    assert pl.read_parquet(tmp_path / "a.parquet").equals(ROWS.slice(1))
    assert pl.read_ndjson(tmp_path / "a.jsonl")["customer_id"].to_list() == ["C-170", "C-18"]
    assert pl.read_csv(tmp_path / "a.csv.gz")["customer_id"].to_list() == ["C-170", "C-18"]
    assert b"z@q.io" not in gzip.decompress((tmp_path / "a.csv.gz").read_bytes())


def test_a_file_without_them_is_not_rewritten(tmp_path: Path) -> None:
    ROWS.write_csv(tmp_path / "a.csv")
    (tmp_path / "b.html").write_text("<p>C-170 and C-18</p>")
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert redact_file(tmp_path / "a.csv", {"C-1"}) == 0
    assert redact_file(tmp_path / "b.html", {"C-17"}) == 0
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_text_keeps_its_shape_around_a_redacted_value(tmp_path: Path) -> None:
    status = tmp_path / "job.json"
    status.write_text(json.dumps({"error": "customer C-17 has no email z@q.io.", "n": "C-170"}))
    assert redact_file(status, {"C-17", "z@q.io"}) == 2
    assert json.loads(status.read_text()) == {
        "error": f"customer {REDACTED} has no email {REDACTED}.", "n": "C-170",
    }  # fmt: skip


@given(
    st.lists(st.from_regex(r"[A-Z]-[0-9]{1,4}", fullmatch=True), min_size=1, max_size=8),
    st.from_regex(r"[A-Z]-[0-9]{1,4}", fullmatch=True),
)
def test_only_whole_identifiers_are_redacted(ids: list[str], gone: str) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.txt"
        path.write_text(" ".join(ids))
        redact_file(path, {gone})
        words = path.read_text().split(" ")
    assert words == [REDACTED if i == gone else i for i in ids]
