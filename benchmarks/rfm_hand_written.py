"""The hand-written Polars baseline of bench_rfm.py: the same RFM table, Parquet out."""

import sys

import polars as pl

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
cells = {  # the segwise preset, cell by cell over (r, fm)
    (5, 4): "Champions",
    (5, 5): "Champions",
    (4, 5): "Champions",
    (4, 4): "Loyal Customers",
    (3, 4): "Loyal Customers",
    (3, 5): "Loyal Customers",
    (5, 3): "Potential Loyalists",
    (4, 2): "Potential Loyalists",
    (4, 3): "Potential Loyalists",
    (5, 1): "New Customers",
    (5, 2): "Promising",
    (4, 1): "Promising",
    (3, 2): "Need Attention",
    (3, 3): "Need Attention",
    (3, 1): "About to Sleep",
    (2, 3): "At Risk",
    (2, 4): "At Risk",
    (1, 4): "At Risk",
    (1, 5): "Can't Lose Them",
    (2, 5): "Can't Lose Them",
    (2, 1): "Hibernating",
    (2, 2): "Hibernating",
    (1, 3): "Hibernating",
    (1, 1): "Lost",
    (1, 2): "Lost",
}
lookup = pl.DataFrame(
    {
        "r_score": [k[0] for k in cells],
        "fm": [k[1] for k in cells],
        "segment": list(cells.values()),
    },
    schema={"r_score": pl.Int64, "fm": pl.Int64, "segment": pl.String},
)
out = (
    scored.with_columns(((pl.col("f_score") + pl.col("m_score") + 1) // 2).alias("fm"))
    .join(lookup, on=["r_score", "fm"], how="left")
    .with_columns(
        pl.concat_str([pl.col(c).cast(pl.String) for c in ("r_score", "f_score", "m_score")]).alias(
            "rfm_score"
        )
    )
    .select(
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_score",
        "segment",
    )
    .sort("customer_id")
)
out.write_parquet(target)
