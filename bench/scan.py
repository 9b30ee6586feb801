"""The floor: a bare Polars scan of the columns the job needs, materialized.
usage: scan.py DATA_DIR"""

import sys

import polars as pl

frame = pl.scan_parquet(f"{sys.argv[1]}/snapshots/**/*.parquet", hive_partitioning=True).select(
    "snapshot_date", "customer_id", "subscription_id", "mrr", "currency", "status", "plan", "region").collect()
print(frame.height)
