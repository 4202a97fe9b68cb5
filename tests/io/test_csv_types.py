"""CSV type inference: Polars' own answer, dates included, without its per-value date cost."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segwise.io.csv_types import INFERENCE_ROWS, infer_csv_types

if TYPE_CHECKING:
    from pathlib import Path

# Values of every kind Polars tells apart, dates in the layouts it recognises among them,
# so that columns mix them as exports do (a date column with one stray word, say).
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "2024-02-29",
            "2024/02/29",
            "29/02/2024",
            "02-29-2024",
            "2024-02-29 10:30",
            "2024-02-29T10:30:00",
            "2024-02-29T10:30:00Z",
            "2024-02-29T10:30:00+01:00",
            "20240229",
            "2024",
            "1.5",
            "true",
            "n/a",
            "Leeds",
            " 2024-02-29",
        ]
    ),
    st.dates().map(str),
    st.integers(-(10**6), 10**6).map(str),
    st.text(alphabet="abc 0123456789-/:.", max_size=12),
)


def _polars_inference(data: bytes) -> dict[str, pl.DataType]:
    return dict(
        pl.scan_csv(data, infer_schema_length=INFERENCE_ROWS, try_parse_dates=True)
        .collect_schema()
        .items()
    )


def _csv(columns: list[list[str]]) -> bytes:
    frame = pl.DataFrame(
        {f"c{i}": values for i, values in enumerate(columns)},
        schema={f"c{i}": pl.String for i in range(len(columns))},
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


@given(
    st.integers(1, 40).flatmap(
        lambda rows: st.lists(
            st.lists(VALUES, min_size=rows, max_size=rows), min_size=1, max_size=4
        )
    )
)
def test_the_types_are_polars_own(columns: list[list[str]]) -> None:
    data = _csv(columns)
    assert infer_csv_types(data) == _polars_inference(data)


def test_a_date_column_with_one_word_past_the_first_values_is_text() -> None:
    # The first values alone say "date": the word further down must still make it text.
    dates = [f"2024-01-{day:02d}" for day in range(1, 29)] * 3
    data = _csv([[*dates, "unknown"], [*dates, "2024-03-01"]])
    assert infer_csv_types(data) == {"c0": pl.String, "c1": pl.Date}


def test_only_the_inference_rows_count(tmp_path: Path) -> None:
    # A word after the rows Polars infers from leaves the column a date, as Polars has it
    # (the rows are checked when read, not here).
    path = tmp_path / "late.csv"
    path.write_bytes(_csv([["2024-01-01"] * INFERENCE_ROWS + ["unknown"]]))
    assert infer_csv_types(path) == {"c0": pl.Date}
    assert infer_csv_types(path) == _polars_inference(path.read_bytes())


def test_a_separator_and_an_empty_column() -> None:
    data = b"id;joined;note\n1;2024-01-31;\n2;2024-02-29;\n"
    assert infer_csv_types(data, separator=";") == {
        "id": pl.Int64,
        "joined": pl.Date,
        "note": pl.String,
    }


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\nx,2024-01-01\ny,2024-01-02,5\n",  # a line too long
        b"a,b\nx\ny,2024-01-01\n",  # a line too short
        b'a,b\n"x,2\n',  # a quote left open
    ],
)
def test_a_broken_file_gets_the_types_polars_gives_it(data: bytes) -> None:
    # The broken line is reported when the rows are read, with its number; not here.
    assert infer_csv_types(data) == _polars_inference(data)


def test_an_empty_file_is_polars_error() -> None:
    with pytest.raises(pl.exceptions.NoDataError):
        infer_csv_types(b"")
