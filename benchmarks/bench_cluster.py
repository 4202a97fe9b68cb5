"""Clustering benchmark: fit (k = auto) plus assignment of 1M customers × 8 features.

Target (issue 5): fitting plus assigning 1M customers takes 60 s or less on
this machine; peak memory is recorded. Target (issue 21): no more than the
baseline's time. Baseline: scikit-learn's KMeans fitted
and applied on the whole 1M-row matrix at the chosen k (no k selection, no
stability measures), after the same transform.

    python benchmarks/bench_cluster.py --customers 1000000
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=5, help="planted segments")
    args = parser.parse_args()
    import duckdb
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from segwise.datasets.planted import planted_segments
    from segwise.segmenters import ClusterSegmenter, UnstableSegmentWarning

    start = time.perf_counter()
    table, truth = planted_segments(args.customers, args.k, seed=1)
    generated = time.perf_counter() - start
    timings: dict[str, float] = {}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableSegmentWarning)
        segmenter = ClusterSegmenter(id_col="customer_id", random_state=0).fit(table)
    timings["fit, k = auto (20k-row sample, 6 candidates × 10 bootstraps)"] = (
        time.perf_counter() - start
    )
    start = time.perf_counter()
    assigned = segmenter.assign(table)
    timings["assign 1M in Polars"] = time.perf_counter() - start
    relation = duckdb.connect().from_arrow(table.to_arrow())
    start = time.perf_counter()
    segmenter.assign(relation).arrow()
    timings["assign 1M in DuckDB"] = time.perf_counter() - start
    memory = peak_mb()
    total = timings[next(iter(timings))] + timings["assign 1M in Polars"]
    planted = truth >= 0
    quality = adjusted_rand_score(truth[planted], assigned["segment_id"].to_numpy()[planted])
    matrix = segmenter.transform_.matrix(table)
    start = time.perf_counter()
    KMeans(segmenter.n_segments_, n_init=10, random_state=0).fit(matrix).predict(matrix)
    baseline = time.perf_counter() - start
    print(
        f"\n{args.customers:,} customers × {len(segmenter.transform_.input_names)} features "
        f"({args.k} planted segments; data generated in {generated:.1f} s)\n"
    )
    for name, seconds in timings.items():
        print(f"{name:<62}{seconds:>8.2f} s")
    print(f"{'fit + assign (Polars)':<62}{total:>8.2f} s   target ≤ 60 s")
    print(f"{'baseline: sklearn KMeans fit + predict on all 1M rows':<62}{baseline:>8.2f} s")
    print(f"{'ratio (issue 21: automatic k ≤ 1.0× one plain fit)':<62}{total / baseline:>8.2f} ×")
    print(f"\nchosen k = {segmenter.n_segments_}, ARI against the planted truth {quality:.3f}")
    print(f"peak resident memory {memory:,.0f} MB")


if __name__ == "__main__":
    main()
