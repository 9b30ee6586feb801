"""The differential test: sql/reference/nrr.sql, run by DuckDB over the same
snapshots as the Rust job, must produce the same tables cell for cell: money
to the cent, ratios to 1e-9."""

import math

import duckdb
import pytest

from conftest import ROOT, TABLES, generate, mount_output, run_job

REFERENCE = (ROOT / "sql/reference/nrr.sql").read_text()

# (seed, customers, months, daily)
DATASETS = [
    (21, 300, 18, False),
    (22, 200, 26, False),
    (23, 500, 13, False),
    (24, 60, 4, True),
]

KEYS = {
    "customer_months": ["month", "customer_id"],
    "mrr_movements": ["month", "segment_name", "segment_value"],
    "nrr_summary": ["month", "window_months", "segment_name", "segment_value"],
    "cohort_matrix": ["cohort_month", "months_since_cohort", "segment_name", "segment_value"],
    "nrr_matrix_wide": ["cohort_month", "segment_name", "segment_value"],
}


def run_twin(con, data):
    """The caller's side of the interface: snapshots, fx_rates, segment_values."""
    con.execute(
        f"create view raw as select * from read_parquet('{data}/snapshots/**/*.parquet', hive_partitioning = true)"
    )
    con.execute("create view snapshots as select snapshot_date, customer_id, subscription_id, mrr, currency, status from raw")
    con.execute(f"create view fx_rates as select month, currency, rate from read_parquet('{data}/fx_rates.parquet')")
    con.execute(
        """
        create view segment_values as
        select snapshot_date, subscription_id, 'plan' as segment_name, plan as segment_value from raw
        union all
        select snapshot_date, subscription_id, 'region', region from raw
        """
    )
    con.execute(REFERENCE)


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return a == b


def compare(con, table):
    job = f"job_{table}"
    columns = [r[0] for r in con.execute(f"describe {job}").fetchall()]
    twin_columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
    assert set(twin_columns) >= set(columns) - {"plan", "region"}, f"{table}: twin lacks columns"
    compared = [c for c in columns if c in twin_columns]
    order = ", ".join(KEYS[table])
    select = ", ".join(compared)
    got = con.execute(f"select {select} from {job} order by {order}").fetchall()
    want = con.execute(f"select {select} from {table} order by {order}").fetchall()
    assert len(got) == len(want), f"{table}: job has {len(got)} rows, SQL twin {len(want)}"
    for g, w in zip(got, want):
        for name, a, b in zip(compared, g, w):
            assert same(a, b), f"{table}.{name} differs at {dict(zip(compared, g))}: job {a!r}, twin {b!r}"
    return len(got)


@pytest.mark.parametrize("seed,customers,months,daily", DATASETS)
def test_sql_twin_matches_the_job(tmp_path, seed, customers, months, daily):
    data, out = tmp_path / "data", tmp_path / "out"
    generate(data, customers, months, seed, daily)
    run_job(data, out)

    con = duckdb.connect()
    mount_output(con, out)
    for table in TABLES:
        con.execute(f"alter view {table} rename to job_{table}")
    run_twin(con, data)

    rows = {table: compare(con, table) for table in TABLES}
    assert rows["customer_months"] > 100 and rows["cohort_matrix"] > 10

    # Segment columns of customer_months, against the twin's long form.
    for segment in ["plan", "region"]:
        mismatched = con.execute(
            f"""
            select count(*) from (select distinct customer_id, {segment} as v from job_customer_months) j
            full join (select customer_id, segment_value as v from customer_segments where segment_name = '{segment}') t
              using (customer_id)
            where j.v is distinct from t.v
            """
        ).fetchone()[0]
        assert mismatched == 0, f"{segment}: {mismatched} customers differ"
