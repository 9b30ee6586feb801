"""The output contract as other readers see it: DuckDB, pyarrow datasets and
Polars read every table with its Hive partitions, with the promised types and
no partition column duplicated inside the files."""

from decimal import Decimal

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

LONG_TABLES = ["customer_months", "mrr_movements", "nrr_summary", "cohort_matrix"]


@pytest.mark.parametrize("table", LONG_TABLES)
def test_partition_column_not_inside_files(sample_output, table):
    for f in (sample_output / table).glob("month=*/*.parquet"):
        assert "month" not in pq.read_schema(f).names, f


@pytest.mark.parametrize("table", LONG_TABLES)
def test_duckdb_pyarrow_and_polars_agree(sample_output, table):
    glob = f"{sample_output}/{table}/**/*.parquet"
    con = duckdb.connect()
    rel = con.sql(f"select * from read_parquet('{glob}', hive_partitioning=true)")
    types = dict(zip(rel.columns, [str(t) for t in rel.types]))
    assert types["month"] == "DATE"
    n_duck = con.sql(f"select count(*) from read_parquet('{glob}', hive_partitioning=true)").fetchone()[0]

    dataset = ds.dataset(sample_output / table, format="parquet", partitioning="hive")
    n_arrow = dataset.count_rows()

    frame = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert frame.schema["month"] == pl.Date
    assert n_duck == n_arrow == frame.height > 0
    assert len(set(frame.columns)) == len(frame.columns)


def test_money_is_decimal_18_2_and_ratios_double(sample_output):
    glob = f"{sample_output}/mrr_movements/**/*.parquet"
    con = duckdb.connect()
    rel = con.sql(f"select * from read_parquet('{glob}', hive_partitioning=true)")
    types = dict(zip(rel.columns, [str(t) for t in rel.types]))
    assert types["mrr_end"] == "DECIMAL(18,2)"
    assert types["nrr"] == "DOUBLE"
    assert types["customers_end"] == "BIGINT"
    assert types["segment_value"] == "VARCHAR"


def test_bridge_reconciles_in_duckdb(sample_output):
    con = duckdb.connect()
    bad = con.sql(
        f"""
        select count(*) from read_parquet('{sample_output}/mrr_movements/**/*.parquet', hive_partitioning=true)
        where mrr_start + mrr_new + mrr_reactivation + mrr_expansion - mrr_contraction - mrr_churn + mrr_fx <> mrr_end
        """
    ).fetchone()[0]
    assert bad == 0


def test_customer_months_sum_to_bridge_in_duckdb(sample_output):
    con = duckdb.connect()
    rows = con.sql(
        f"""
        with c as (
          select month, sum(mrr) as mrr from read_parquet('{sample_output}/customer_months/**/*.parquet', hive_partitioning=true)
          group by month
        ), m as (
          select month, mrr_end from read_parquet('{sample_output}/mrr_movements/**/*.parquet', hive_partitioning=true)
          where segment_name = 'all'
        )
        select m.month, m.mrr_end, coalesce(c.mrr, 0) from m left join c using (month) order by m.month
        """
    ).fetchall()
    assert len(rows) == 24
    for month, end, total in rows:
        assert Decimal(end) == Decimal(total), month


def test_wide_matrix_single_file(sample_output):
    table = pq.read_table(sample_output / "nrr_matrix_wide/part-00000.parquet")
    assert table.column_names[:5] == ["cohort_month", "segment_name", "segment_value", "cohort_customers", "cohort_mrr"]
    assert table.column_names[5] == "m00" and table.column_names[-1] == "m36"
    assert str(table.schema.field("cohort_mrr").type) == "decimal128(18, 2)"
