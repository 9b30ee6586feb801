"""Runs one SQL pipeline in DuckDB over a generated dataset (for make bench).

usage: duck.py {reference,spine,gridfree} DATA_DIR THREADS
"""

import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def main():
    which, data, threads = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(f"create view raw as select * from read_parquet('{data}/snapshots/**/*.parquet', hive_partitioning = true)")
    con.execute("create view snapshots as select snapshot_date, customer_id, subscription_id, mrr, currency, status from raw")
    con.execute(f"create view fx_rates as select month, currency, rate from read_parquet('{data}/fx_rates.parquet')")
    if which == "reference":
        con.execute("""
            create view segment_values as
            select snapshot_date, subscription_id, 'plan' as segment_name, plan as segment_value from raw
            union all select snapshot_date, subscription_id, 'region', region from raw
        """)
        con.execute((HERE.parent / "sql/reference/nrr.sql").read_text())
        rows = sum(con.execute(f"select count(*) from {t}").fetchone()[0]
                   for t in ["customer_months", "mrr_movements", "nrr_summary", "cohort_matrix", "nrr_matrix_wide"])
    else:
        rows = len(con.execute((HERE / f"{which}.sql").read_text()).fetchall())
    print(rows)


if __name__ == "__main__":
    main()
