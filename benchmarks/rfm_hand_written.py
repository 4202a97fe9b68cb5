"""The hand-written Polars baseline of bench_rfm.py: the same RFM table, Parquet out."""

import sys

import polars as pl

from rfm_segments import COLUMNS, SEGMENTS  # type: ignore[import-not-found]

source, target = sys.argv[1], sys.argv[2]
rows = pl.scan_parquet(source)
bought = ~pl.col("order_id").str.starts_with("C")
metrics = (
    rows.group_by("customer_id")
    .agg(
        pl.col("order_date").filter(bought).max().dt.date().alias("last"),
        pl.col("order_id").filter(bought).n_unique().cast(pl.Int64).alias("frequency"),
        # Money summed in millionths, as segwise does, so ties are exact.
        (pl.col("amount") * 1e6).round().sum().alias("units"),
    )
    .filter(pl.col("last").is_not_null())
    .with_columns((pl.col("units") / (pl.col("units") * 0 + 1e6)).alias("monetary"))
    .collect()
)
end = metrics["last"].max()
n = metrics.height
scored = metrics.with_columns(
    (pl.lit(end) - pl.col("last")).dt.total_days().alias("recency_days")
).with_columns(
    (1 + (pl.col("recency_days").rank("min", descending=True).cast(pl.Int64) - 1) * 5 // n).alias(
        "r_score"
    ),
    (1 + (pl.col("frequency").rank("min").cast(pl.Int64) - 1) * 5 // n).alias("f_score"),
    (1 + (pl.col("monetary").rank("min").cast(pl.Int64) - 1) * 5 // n).alias("m_score"),
)
out = (
    scored.with_columns(((pl.col("f_score") + pl.col("m_score") + 1) // 2).alias("fm"))
    .join(SEGMENTS, on=["r_score", "fm"], how="left")
    .with_columns(
        pl.concat_str([pl.col(c).cast(pl.String) for c in ("r_score", "f_score", "m_score")]).alias(
            "rfm_score"
        )
    )
    .select(COLUMNS)
    .sort("customer_id")
)
out.write_parquet(target)
