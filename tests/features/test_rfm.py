"""The RFM table: scores, ties, fixed bins, presets, maps, and the same result on three engines."""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.engine.frames import to_lazy
from segwise.features import RFMBinningWarning, ScoreMap, lint_score_map, rfm_table
from segwise.features.score_map import PRESETS, Cell

if TYPE_CHECKING:
    from collections.abc import Callable

HERE = Path(__file__).parent

# Five customers with distinct recency, frequency and spend, as of 2024-03-31.
TX = pl.DataFrame(
    {
        "customer_id": ["a", "b", "b", "c", "c", "c", "d", "d", "d", "d", "e", "e", "e", "e", "e"],
        "order_id": [f"o{i}" for i in range(15)],
        "timestamp": [
            "2024-01-01",
            "2024-01-10",
            "2024-02-01",
            "2024-01-05",
            "2024-02-05",
            "2024-03-01",
            "2024-01-01",
            "2024-02-01",
            "2024-03-01",
            "2024-03-20",
            "2024-01-01",
            "2024-02-01",
            "2024-03-01",
            "2024-03-25",
            "2024-03-30",
        ],
        "amount": [
            10.0,
            20.0,
            20.0,
            30.0,
            30.0,
            40.0,
            50.0,
            50.0,
            50.0,
            60.0,
            100.0,
            100.0,
            100.0,
            100.0,
            110.0,
        ],
    }
)


def _table(frame: Any = TX, **kwargs: Any) -> pl.DataFrame:
    options = {"monetary_value_col": "amount", "order_id_col": "order_id", "as_of": "2024-03-31"}
    options.update(kwargs)
    result = rfm_table(frame, **options)
    if not isinstance(result, pl.DataFrame):
        from segwise.engine.frames import to_lazy

        result = to_lazy(result).collect(backend="polars").to_native().sort("customer_id")
    return result


def test_columns_metrics_and_quantile_scores() -> None:
    out = _table()
    assert out.columns == [
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_score",
        "segment",
    ]
    assert out["recency_days"].to_list() == [90, 59, 30, 11, 1]
    assert out["frequency"].to_list() == [1, 2, 3, 4, 5]
    assert out["monetary"].to_list() == [10.0, 40.0, 100.0, 210.0, 510.0]
    # Five customers, five bins: 1 + floor(5 * worse / 5) = worse + 1.
    assert out["rfm_score"].to_list() == ["111", "222", "333", "444", "555"]
    assert out["segment"].to_list() == [
        "Lost",
        "Lost",
        "Need Attention",
        "Loyal Customers",
        "Champions",
    ]


def test_identical_customers_get_identical_scores_and_collapsed_bins_are_named() -> None:
    frame = pl.DataFrame(
        {
            "customer_id": ["p", "q", "r", "s"],
            "order_id": ["1", "2", "3", "4"],
            "timestamp": ["2024-03-01"] * 4,
            "amount": [5.0, 5.0, 5.0, 9.0],
        }
    )
    with pytest.warns(RFMBinningWarning) as caught:
        out = _table(frame, bins=4, segment_map=_one_segment_map(4))
    scores = dict(zip(out["customer_id"], out["m_score"], strict=True))
    assert scores["p"] == scores["q"] == scores["r"] == 1
    assert scores["s"] == 4  # three of four customers are worse: 1 + floor(4 * 3 / 4)
    messages = " ".join(str(w.message) for w in caught)
    assert "m_score: no customer scores 2, 3" in messages
    assert "r_score: no customer scores 2, 3, 4" in messages


_TOP = sw.features.score_map.SegmentRule(name="Top", scores=("555",))


def _one_segment_map(bins: int) -> ScoreMap:
    return ScoreMap.from_text(
        f"name: one\nbins: {bins}\nsegments:\n  - name: All\n    cells: [{{}}]\n"
    )


_PURCHASES = st.lists(
    st.tuples(
        st.integers(0, 11),  # customer
        st.integers(0, 40),  # days before the as-of date
        st.sampled_from([0.5, 5.0, 12.25, 40.0, 99.99]),
    ),
    min_size=1,
    max_size=40,
)


@given(purchases=_PURCHASES, bins=st.integers(2, 6), engine=st.sampled_from(["polars", "duckdb"]))
def test_quantile_scores_equal_one_plus_floor_bins_times_worse_over_customers(
    purchases: list[tuple[int, int, float]], bins: int, engine: str
) -> None:
    end = date(2024, 3, 31)
    frame = pl.DataFrame(
        {
            "customer_id": [f"c{c:02d}" for c, _, _ in purchases],
            "order_id": [f"o{i}" for i in range(len(purchases))],
            "timestamp": [end - timedelta(days=d) for _, d, _ in purchases],
            "amount": [a for _, _, a in purchases],
        }
    )
    native = duckdb.from_arrow(frame.to_arrow()) if engine == "duckdb" else frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)
        out = _table(native, bins=bins, segment_map=_one_segment_map(bins), as_of=str(end))
    n = out.height
    for metric, score, worse_is in (
        ("recency_days", "r_score", "larger"),
        ("frequency", "f_score", "smaller"),
        ("monetary", "m_score", "smaller"),
    ):
        values = out[metric].to_numpy()
        worse = [
            int((values > v).sum() if worse_is == "larger" else (values < v).sum()) for v in values
        ]
        assert out[score].to_list() == [1 + (bins * w) // n for w in worse], metric


def test_scores_do_not_depend_on_row_order() -> None:
    shuffled = TX.sample(fraction=1.0, shuffle=True, seed=3)
    assert _table(shuffled).equals(_table())


def test_fixed_thresholds_are_closed_on_the_left() -> None:
    thresholds = {"recency_days": [30, 60], "frequency": [2, 4], "monetary": [40, 200]}
    out = _table(binning="fixed", bins=3, thresholds=thresholds, segment_map=_three_bin_map())
    # recency 90, 59, 30, 11, 1 -> 1, 2, 2, 3, 3; frequency 1..5 and money alike.
    assert out["rfm_score"].to_list() == ["111", "222", "222", "333", "333"]


def _three_bin_map() -> ScoreMap:
    return ScoreMap.from_text(
        """
name: three
bins: 3
fallback: Rest
segments:
  - name: Best
    cells: [{r: [3, 3], f: [3, 3]}]
  - name: Good
    scores: ["222"]
"""
    )


def test_fixed_thresholds_need_one_cut_fewer_than_bins() -> None:
    with pytest.raises(sw.ConfigError, match="needs 2 increasing cut points for frequency"):
        _table(
            binning="fixed",
            bins=3,
            thresholds={"recency_days": [1, 2], "frequency": [1]},
            segment_map=_three_bin_map(),
        )


def test_days_instead_of_orders() -> None:
    same_day = TX.with_columns(pl.lit("2024-03-01").alias("timestamp"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RFMBinningWarning)
        assert _table(same_day, frequency="days")["frequency"].to_list() == [1, 1, 1, 1, 1]
        assert _table(same_day)["frequency"].to_list() == [1, 2, 3, 4, 5]
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("f_score: no customer scores 2, 3, 4, 5") for m in messages)
    assert any(m.startswith("r_score: no customer scores 2, 3, 4, 5") for m in messages)


def test_dataset_input_nets_returns_but_does_not_count_them() -> None:
    orders = pl.DataFrame(
        {
            "customer_id": ["1", "1", "1", "2"],
            "order_id": ["A", "B", "C3", "D"],
            "order_date": ["2024-01-01", "2024-01-05", "2024-01-06", "2024-01-02"],
            "amount": [10.0, 20.0, -5.0, 7.0],
        }
    )
    out = rfm_table(
        sw.read_transactions(orders), as_of="2024-01-10", bins=2, segment_map=_two_bin_map()
    )
    assert out.filter(pl.col("customer_id") == "1").select(
        "frequency", "monetary", "recency_days"
    ).row(0) == (
        2,
        25.0,
        5,
    )


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
@pytest.mark.parametrize("preset", ["segwise", "r-rfm", "pymc"])
def test_the_metrics_count_the_rows_they_read(engine: str, preset: str) -> None:
    # `segwise rfm` compares these with the rows the file holds to say what it left out.
    orders = pl.DataFrame(
        {
            "customer_id": ["1", "1", "1", "2", "3", "3"],
            "order_id": ["A", "B", "C3", "D", "E", "F"],
            "order_date": [
                f"2024-{d}" for d in ("01-01", "01-05", "01-06", "01-02", "01-03", "02-01")
            ],
            "amount": [10.0, 20.0, -5.0, 7.0, 4.0, 6.0],
        }
    )
    native = duckdb.from_arrow(orders.to_arrow()) if engine == "duckdb" else orders
    counted: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)  # three customers fill few bins
        plain = rfm_table(sw.read_transactions(native), as_of="2024-01-31", preset=preset)
        table = rfm_table(
            sw.read_transactions(native), as_of="2024-01-31", preset=preset, count_rows=counted
        )
    # Rows to the as-of date: all but the one after it, the return as well (r-rfm and the
    # segwise preset net it; pymc's purchase-day metrics read purchases only).
    assert counted == [4 if preset == "pymc" else 5]
    assert "rows" not in to_lazy(table).collect_schema().names()
    assert to_lazy(table).collect().to_native().equals(to_lazy(plain).collect().to_native())


def _two_bin_map() -> ScoreMap:
    return ScoreMap.from_text(
        "name: two\nbins: 2\nsegments:\n  - name: Top\n    cells: [{r: [2, 2]}]\n"
    )


def test_custom_map_from_yaml_and_bins_must_match(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("name: two\nbins: 2\nsegments:\n  - name: Recent\n    cells: [{r: [2, 2]}]\n")
    out = _table(bins=2, segment_map=str(path))
    assert set(out["segment"]) == {"Recent", "Other"}
    with pytest.raises(sw.ConfigError, match="made for 2 bins, not 5"):
        _table(segment_map=str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nbins: 5\nsegments: []\n", "segments"),
        ("name: x\nbins: 5\nsegments:\n  - name: A\n", "lists no cells"),
        (
            "name: x\nbins: 5\nsegments:\n  - name: A\n    cells: [{q: [1, 2]}]\n",
            "segments.0.cells.0.q",
        ),
        ("name: x\nbins: 5\ncolour: red\nsegments:\n  - name: A\n    scores: ['111']\n", "colour"),
        ("name: x\nbins: [\n", "not valid YAML"),
    ],
    ids=["empty", "no-cells", "unknown-axis", "unknown-key", "yaml"],
)
def test_bad_maps_name_the_key(text: str, message: str) -> None:
    with pytest.raises(sw.ConfigError, match=message):
        ScoreMap.from_text(text)


@pytest.mark.parametrize("name", PRESETS)
def test_each_bundled_map_passes_the_strict_loader_and_equals_its_json_twin(name: str) -> None:
    # Presets are read from JSON written from the YAML (the commented source), unchecked.
    text = (files("segwise.features") / "score_maps" / f"{name}.yaml").read_text(encoding="utf-8")
    assert ScoreMap.from_text(text, source=name) == ScoreMap.preset(name), "run make score-maps"


@pytest.mark.parametrize("name", PRESETS)
def test_each_map_names_every_score_in_the_engine_as_segment_of_does(name: str) -> None:
    score_map = ScoreMap.preset(name)
    bins = range(1, score_map.bins + 1)
    scores = [(r, f, m) for r in bins for f in bins for m in bins]
    table = pl.DataFrame(scores, schema=["r_score", "f_score", "m_score"], orient="row")
    table = table.with_columns(rfm_score=pl.concat_str(pl.col("^.*_score$").cast(pl.String)))
    named = nw.from_native(table).with_columns(score_map.expression()).to_native()
    assert named["segment"].to_list() == [score_map.segment_of(*s) for s in scores]


@given(
    bounds=st.tuples(st.integers(1, 9), st.integers(1, 9)).map(sorted),
    f=st.integers(1, 9),
    m=st.integers(1, 9),
)
def test_a_cell_on_fm_tests_the_rounded_up_average(bounds: list[int], f: int, m: int) -> None:
    cell = Cell(fm=(bounds[0], bounds[1]))
    frame = nw.from_native(pl.DataFrame({"r_score": [1], "f_score": [f], "m_score": [m]}))
    inside = frame.select(cell.expression().alias("inside")).item()
    assert inside == (bounds[0] <= (f + m + 1) // 2 <= bounds[1])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ScoreMap(name="x", bins=12, segments=(_TOP,)), "bins must be 2 to 9, not 12"),
        (lambda: ScoreMap(name="x", bins=5, segments=()), "lists no segments"),
        (lambda: ScoreMap(name="x", bins=5, segments=(_TOP, _TOP)), "names repeat: Top"),
        (lambda: ScoreMap(name="x", bins=5, segments=(_TOP,), match="any"), "match must be"),
        (lambda: sw.features.score_map.SegmentRule(name="Empty"), "lists no cells and no scores"),
    ],
    ids=["bins", "no-segments", "repeated", "match", "no-cells"],
)
def test_a_map_built_in_code_is_checked_like_a_file(build: Any, message: str) -> None:
    with pytest.raises(sw.ConfigError, match=message):
        build()


def test_segwise_preset_covers_every_cell_once() -> None:
    score_map = ScoreMap.preset("segwise")
    assert len(score_map.segments) <= 11
    lint = lint_score_map(score_map)
    assert lint.clean
    for segment in score_map.segments:
        assert segment.description and segment.action


def test_lint_finds_overlaps_shadowing_and_gaps() -> None:
    score_map = ScoreMap(
        name="messy",
        bins=2,
        segments=(
            sw.features.score_map.SegmentRule(name="Recent", cells=(Cell(r=(2, 2)),)),
            sw.features.score_map.SegmentRule(name="Recent big", cells=(Cell(r=(2, 2), m=(2, 2)),)),
            sw.features.score_map.SegmentRule(name="Old big", cells=(Cell(r=(1, 1), m=(2, 2)),)),
        ),
    )
    lint = lint_score_map(score_map, scores={"111": 30, "211": 10, "122": 60})
    assert lint.overlaps == {"212": ["Recent", "Recent big"], "222": ["Recent", "Recent big"]}
    assert lint.shadowed == ["Recent big"]
    assert lint.uncovered == ["111", "121"]
    assert lint.fallback_share == pytest.approx(0.3)
    assert lint.fallback_cells == {"111": 30}
    assert "30.0% of customers are in the fallback segment: 111 (30)" in lint.lines()[-1]
    assert not lint.clean


@pytest.mark.realdata
def test_pymc_preset_matches_pymc_marketing_on_online_retail(shared_data: Path) -> None:
    """Expected segments come from pymc-marketing itself (benchmarks/make_pymc_rfm_expected.py)."""
    dataset = sw.read_transactions(
        shared_data / "online_retail_uci.csv.gz", policy="purchases-only"
    )
    with pytest.warns(RFMBinningWarning, match="will not exceed 3 for f_score"):
        ours = rfm_table(dataset, as_of="2011-12-10", preset="pymc")
    expected = pl.read_csv(
        HERE / "data" / "pymc_rfm_segments_online_retail.csv",
        schema_overrides={"customer_id": pl.String, "rfm_score": pl.String},
    )
    joined = expected.join(ours, on="customer_id", how="full", suffix="_sw")
    assert joined.height == expected.height == ours.height == 4_338
    assert (joined["segment"] == joined["segment_sw"]).all()
    assert (joined["rfm_score"] == joined["rfm_score_sw"]).all()
    assert (joined["frequency"] == joined["frequency_sw"]).all()
    assert ((joined["monetary_value"] - joined["monetary"]).abs() < 1e-6).all()


@pytest.mark.realdata
def test_online_retail_regression_numbers(shared_data: Path) -> None:
    dataset = sw.read_transactions(
        shared_data / "online_retail_uci.csv.gz", policy="purchases-only"
    )
    out = rfm_table(dataset, as_of="2011-12-10")
    assert out.height == 4_338
    assert out["recency_days"].mean() == pytest.approx(93.06, abs=0.005)
    assert out["recency_days"].median() == 51
    assert out["frequency"].mean() == pytest.approx(4.27, abs=0.005)
    assert out["monetary"].mean() == pytest.approx(2_054.27, abs=0.005)
    assert out["monetary"].sum() == pytest.approx(8_911_407.90, abs=0.01)


def test_cli_rfm(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    TX.write_csv(path)
    out = tmp_path / "rfm.parquet"
    result = CliRunner().invoke(app, ["rfm", str(path), "--as-of", "2024-03-31", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    table = pl.read_parquet(out)
    assert table["rfm_score"].to_list() == ["111", "222", "333", "444", "555"]
    assert "Champions" in result.stdout and "recommended action" in result.stdout
    bad = CliRunner().invoke(app, ["rfm", str(path), "--preset", "r-rfmm"])
    assert bad.exit_code == 1 and "preset" in bad.stderr


def test_engines_agree_on_a_generated_table(to_engine: Callable[[pl.DataFrame], Any]) -> None:
    from segwise.datasets import generate_retailer

    orders = generate_retailer(800, seed=9).orders
    polars_out = _table(orders, as_of="2024-12-31", datetime_col="order_date")
    engine_out = _table(to_engine(orders), as_of="2024-12-31", datetime_col="order_date")
    assert engine_out.sort("customer_id").equals(polars_out.sort("customer_id"))
    assert polars_out.height == 800


@pytest.mark.spark
@pytest.mark.realdata
def test_engines_agree_on_online_retail_and_a_generated_table(
    shared_data: Path, spark: Any, tmp_path: Path
) -> None:
    from segwise.datasets import generate_retailer

    purchases = sw.read_transactions(
        shared_data / "online_retail_uci.csv.gz", policy="purchases-only"
    )
    clean = purchases.to_native().select("customer_id", "order_id", "timestamp", "amount")
    generated = generate_retailer(800, seed=9).orders.select(
        "customer_id", "order_id", "order_date", "amount"
    )
    generated = generated.rename({"order_date": "timestamp"})
    for name, frame, as_of in (
        ("online-retail", clean, "2011-12-10"),
        ("generated", generated, "2024-12-31"),
    ):
        path = tmp_path / f"{name}.parquet"
        frame.write_parquet(path)
        for preset in ("segwise", "r-rfm", "pymc"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RFMBinningWarning)
                expected = _table(frame, as_of=as_of, preset=preset)
                on_duckdb = _table(duckdb.read_parquet(str(path)), as_of=as_of, preset=preset)
                on_spark = _table(spark.read.parquet(str(path)), as_of=as_of, preset=preset)
            assert on_duckdb.equals(expected), (name, preset)
            assert on_spark.equals(expected), (name, preset)


def test_r_rfm_binning_has_the_plus_one_quirk_and_bins_closed_on_the_left() -> None:
    with pytest.warns(RFMBinningWarning, match="f_score: no customer scores 5"):
        out = _table(preset="r-rfm")
    # frequency 1..5: R's inner quantile cut points 1.8, 2.6, 3.4, 4.2 become 2.8, 3.6, 4.4, 5.2
    # after its "+ 1", so frequency 2 still scores 1 and nobody reaches 5.
    assert out["f_score"].to_list() == [1, 1, 2, 3, 4]
    # monetary 10, 40, 100, 210, 510: cut points 34, 76, 144, 270 (+1): [35, 77) holds 40.
    assert out["m_score"].to_list() == [1, 2, 3, 4, 5]
    assert out["r_score"].to_list() == [1, 2, 3, 4, 5]
    assert out["segment"].to_list() == [
        "Lost",
        "About To Sleep",
        "Potential Loyalist",
        "Loyal Customers",
        "Champions",
    ]


def test_r_rfm_counts_rows_not_orders() -> None:
    same_order = TX.with_columns(pl.lit("o1").alias("order_id"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)
        assert _table(same_order, preset="r-rfm")["frequency"].to_list() == [1, 2, 3, 4, 5]


def test_r_rfm_map_first_match_and_others() -> None:
    score_map = ScoreMap.preset("r-rfm")
    assert score_map.segment_of(5, 5, 5) == "Champions"  # also inside Loyal Customers: first wins
    assert score_map.segment_of(2, 3, 3) == "Loyal Customers"  # also inside Need Attention
    assert score_map.segment_of(5, 2, 5) == "Others"
    lint = lint_score_map(score_map)
    assert "555" in lint.overlaps and "Others" not in lint.overlaps.get("555", [])
    assert "525" in lint.uncovered


def test_jenks_natural_breaks() -> None:
    from segwise.features.jenks import jenks_breaks

    assert jenks_breaks([1, 2, 3, 10, 11, 12, 50, 51], 3) == [3.0, 12.0]
    assert jenks_breaks([5, 5, 5], 4) == [5.0, 5.0]
    groups = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(9)],
            "order_id": [f"o{i}" for i in range(9)],
            "timestamp": ["2024-03-01"] * 9,
            "amount": [10.0, 11.0, 12.0, 100.0, 105.0, 110.0, 1000.0, 1010.0, 1020.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)
        out = _table(groups, binning="jenks", bins=3, segment_map=_three_bin_map())
    assert out["m_score"].to_list() == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_jenks_matches_brute_force_on_small_inputs() -> None:
    import itertools

    import numpy as np

    from segwise.features.jenks import jenks_breaks

    rng = np.random.default_rng(5)
    for _ in range(20):
        values = np.sort(rng.integers(0, 50, size=9).astype(float))

        def ssd(parts: list[np.ndarray]) -> float:
            return float(sum(((p - p.mean()) ** 2).sum() for p in parts))

        best = min(
            (ssd(np.split(values, [i, j])), (values[i - 1], values[j - 1]))
            for i, j in itertools.combinations(range(1, 9), 2)
        )
        got = jenks_breaks(values, 3)
        parts = [
            values[values <= got[0]],
            values[(values > got[0]) & (values <= got[1])],
            values[values > got[1]],
        ]
        assert ssd(parts) == pytest.approx(best[0])


def test_default_preset_is_manageable_and_the_detailed_one_says_so() -> None:
    from segwise.features.score_map import MANAGEABLE_SEGMENTS, lint_score_map

    default = ScoreMap.preset("segwise")
    assert 3 <= len(default.segments) <= MANAGEABLE_SEGMENTS
    assert lint_score_map(default).clean and lint_score_map(default).too_many is None
    detailed = lint_score_map(ScoreMap.preset("segwise-detailed"))
    assert detailed.clean and detailed.too_many == 11  # a note, not a fault
    assert any("11 segments: more than the 8" in line for line in detailed.lines())
    # The 8 merge the 11 cell by cell: every detailed segment falls inside one default one.
    for r in range(1, 6):
        for fm in range(1, 6):
            assert default.segment_of(r, fm, fm) != default.fallback
