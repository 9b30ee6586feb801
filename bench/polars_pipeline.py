"""The same monthly bridge as bench/gridfree.sql in Python Polars, written for
speed: month close, exact cents, sort-based LAG over active customer-months.
Totals only. usage: polars_pipeline.py DATA_DIR"""

import sys

import polars as pl

STATUSES = ["trialing", "paused", "canceled", "cancelled", "incomplete", "incomplete_expired"]


def main():
    data = sys.argv[1]
    snaps = pl.scan_parquet(f"{data}/snapshots/**/*.parquet", hive_partitioning=True).select(
        "snapshot_date", "customer_id", "mrr", "currency", "status")
    snaps = snaps.with_columns(month=pl.col("snapshot_date").dt.truncate("1mo"))
    close = snaps.group_by("month").agg(pl.col("snapshot_date").max().alias("close_date"))
    fx = pl.scan_parquet(f"{data}/fx_rates.parquet").with_columns(pl.col("month").dt.truncate("1mo"))
    rows = (
        snaps.join(close, left_on="snapshot_date", right_on="close_date", how="semi")
        .filter(pl.col("status").is_null() | ~pl.col("status").str.to_lowercase().is_in(STATUSES))
        .join(fx, on=["month", "currency"], how="left")
        .with_columns(rate=pl.when(pl.col("currency") == "USD").then(1.0).otherwise(pl.col("rate")))
        .with_columns(cents=(pl.col("mrr").cast(pl.Decimal(38, 10)) * pl.col("rate").cast(pl.Decimal(38, 10)) * 100 + pl.lit(0.5).cast(pl.Decimal(38, 1))).floor().cast(pl.Int64))
        .group_by("customer_id", "month").agg(pl.col("cents").sum().alias("mrr"))
        .filter(pl.col("mrr") > 0)
        .with_columns(idx=(pl.col("month").dt.year() * 12 + pl.col("month").dt.month()).cast(pl.Int32))
        .sort("customer_id", "idx")
    )
    same_prev = (pl.col("customer_id") == pl.col("customer_id").shift(1)) & (pl.col("idx").shift(1) == pl.col("idx") - 1)
    same_next = (pl.col("customer_id") == pl.col("customer_id").shift(-1)) & (pl.col("idx").shift(-1) == pl.col("idx") + 1)
    first_row = pl.col("customer_id") != pl.col("customer_id").shift(1)
    lagged = rows.with_columns(
        prev=pl.when(same_prev.fill_null(False)).then(pl.col("mrr").shift(1)).otherwise(0),
        new=first_row.fill_null(True),
        continues=same_next.fill_null(False),
    )
    last = lagged.select(pl.col("idx").max()).collect().item()
    churn = lagged.filter(~pl.col("continues") & (pl.col("idx") + 1 <= last)).select(
        idx=pl.col("idx") + 1, mrr=pl.lit(0, pl.Int64), prev=pl.col("mrr"), new=pl.lit(False))
    allrows = pl.concat([lagged.select("idx", "mrr", "prev", "new"), churn])
    out = allrows.group_by("idx").agg(
        mrr_start=pl.col("prev").sum(),
        mrr_new=pl.col("mrr").filter(pl.col("new")).sum(),
        mrr_reactivation=pl.col("mrr").filter(~pl.col("new") & (pl.col("prev") == 0) & (pl.col("mrr") > 0)).sum(),
        mrr_expansion=(pl.col("mrr") - pl.col("prev")).filter((pl.col("prev") > 0) & (pl.col("mrr") > pl.col("prev"))).sum(),
        mrr_contraction=(pl.col("prev") - pl.col("mrr")).filter((pl.col("mrr") > 0) & (pl.col("mrr") < pl.col("prev"))).sum(),
        mrr_churn=pl.col("prev").filter(pl.col("mrr") == 0).sum(),
        mrr_end=pl.col("mrr").sum(),
    ).sort("idx").collect()
    print(out.height)


if __name__ == "__main__":
    main()
