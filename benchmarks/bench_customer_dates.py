"""A CRM export's dates read as dates: what recognising and checking them costs.

A seeded customer table (sign-up day, last login with a time, birthday day-first, a
postcode with leading zeros, a plan and a city; 5% of sign-ups written 1900-01-01) is
read with ``sw.read_customers(path).data`` and collected, against two baselines:

- a hand-written Polars query that reads the same file with the patterns known and
  blanks the same stand-ins (no detection, no quality checks);
- the same table with every date column left out (what the dates cost segwise).

    python benchmarks/bench_customer_dates.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

import segwise as sw
from bench_csv_types import best_of  # type: ignore[import-not-found]

STAND_INS = [dt.date(1900, 1, 1), dt.date(1969, 12, 31), dt.date(1970, 1, 1)]


def crm(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(11)
    signup = np.datetime64("2018-01-01") + rng.integers(0, 2400, rows)
    login = np.datetime64("2024-06-30T00:00:00") - rng.integers(0, 86_400 * 200, rows).astype(
        "timedelta64[s]"
    )
    born = np.datetime64("1950-01-01") + rng.integers(0, 20_000, rows)
    signup_text = signup.astype(str)
    signup_text[rng.random(rows) < 0.05] = "1900-01-01"
    return pl.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(rows)],
            "signup_date": signup_text,
            "last_login": pl.Series(login.astype("datetime64[us]")).dt.strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "birthday": pl.Series(born.astype("datetime64[D]")).dt.strftime("%d/%m/%Y"),
            "zip": [f"{z:05d}" for z in rng.integers(1000, 99_999, rows)],
            "plan": rng.choice(["free", "pro", "team"], rows),
            "city": rng.choice(["Leeds", "York", "Hull", "Bath", "Ely"], rows),
        }
    )


def hand_written(path: Path) -> int:
    def day(column: str, fmt: str) -> pl.Expr:
        parsed = pl.col(column).str.to_date(fmt, strict=False)
        return pl.when(~parsed.is_in(STAND_INS)).then(parsed).alias(column)

    login = pl.col("last_login").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
    frame = pl.scan_csv(path, infer_schema=False).with_columns(
        day("signup_date", "%Y-%m-%d"),
        pl.when(~login.dt.date().is_in(STAND_INS)).then(login).alias("last_login"),
        pl.col("birthday").str.to_date("%d/%m/%Y", strict=False),
    )
    return frame.collect().height


def segwise_read(path: Path) -> int:
    data = sw.read_customers(path).data.collect(backend="polars").to_native()
    assert data.schema["last_login"] == pl.Datetime("us") and data.schema["zip"] == pl.String
    return data.height


def segwise_read_undated(path: Path) -> int:
    return sw.read_customers(path).data.collect(backend="polars").to_native().height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = crm(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        dated, undated = Path(tmp) / "crm.csv", Path(tmp) / "crm_undated.csv"
        table.write_csv(dated)
        table.drop("signup_date", "last_login", "birthday").write_csv(undated)
        rows = {
            "segwise, dates read": best_of(args.repeat, lambda: segwise_read(dated)),
            "segwise, no date columns": best_of(args.repeat, lambda: segwise_read_undated(undated)),
            "hand-written Polars, patterns known": best_of(
                args.repeat, lambda: hand_written(dated)
            ),
        }
    base = rows["hand-written Polars, patterns known"]
    print(f"{args.rows:,} customers, best of {args.repeat}")
    print(f"{'read':<38}{'seconds':>9}{'× hand-written':>16}")
    for name, seconds in rows.items():
        print(f"{name:<38}{seconds:>9.2f}{seconds / base:>16.2f}")


if __name__ == "__main__":
    main()
