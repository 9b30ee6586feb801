"""The Snowflake and BigQuery DDL declare every column of every table with the
type of the Parquet files the job writes (read here with pyarrow), plus the month
partition key as DATE."""

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, TABLES

# The DDL also declares data_quality, which the SQL twin does not compute.
DDL_TABLES = TABLES + ["data_quality"]

SNOWFLAKE = {"decimal": "NUMBER(18,2)", "int64": "BIGINT", "double": "FLOAT", "date32": "DATE", "string": "VARCHAR"}
BIGQUERY = {"decimal": "NUMERIC", "int64": "INT64", "double": "FLOAT64", "date32": "DATE", "string": "STRING"}


def file_columns(output, table):
    """[(name, kind)] of a table as written, month partition key first."""
    path = next((output / table).rglob("*.parquet"))
    schema = pq.read_schema(path)
    cols = []
    for field in schema:
        t = field.type
        if pa.types.is_decimal(t):
            assert (t.precision, t.scale) == (18, 2), f"{table}.{field.name}: {t}"
            kind = "decimal"
        elif pa.types.is_large_string(t) or pa.types.is_string(t) or pa.types.is_string_view(t):
            kind = "string"
        elif pa.types.is_date32(t):
            kind = "date32"
        else:
            kind = str(t)
        cols.append((field.name, kind))
    partitioned = table != "nrr_matrix_wide"
    return ([("month", "date32")] if partitioned else []) + cols, partitioned


def block(text, pattern):
    m = re.search(pattern + r".*?;", text, re.S)
    assert m, f"no statement matching {pattern}"
    return m.group(0)


def declared(statement):
    """Column definitions `name TYPE` at the start of a line inside the statement."""
    return re.findall(r"^  (\w+) ([A-Z0-9]+(?:\(\d+,\d+\))?)", statement, re.M)


@pytest.mark.parametrize("table", DDL_TABLES)
def test_snowflake_external_table(sample_output, table):
    cols, partitioned = file_columns(sample_output, table)
    stmt = block((ROOT / "sql/snowflake/external_tables.sql").read_text(), rf"CREATE OR REPLACE EXTERNAL TABLE {table} \(")
    assert declared(stmt) == [(n, SNOWFLAKE[k]) for n, k in cols]
    for name, kind in cols:
        if name != "month" or not partitioned:
            assert f"AS (VALUE:{name}::{SNOWFLAKE[kind]})" in stmt, name
    assert (f"LOCATION = &nrr_stage/{table}/") in stmt
    assert ("PARTITION BY (month)" in stmt) == partitioned


@pytest.mark.parametrize("table", DDL_TABLES)
def test_snowflake_copy_into(sample_output, table):
    cols, partitioned = file_columns(sample_output, table)
    text = (ROOT / "sql/snowflake/load_tables.sql").read_text()
    create = block(text, rf"CREATE TABLE IF NOT EXISTS {table} \(")
    assert declared(create) == [(n, SNOWFLAKE[k]) for n, k in cols]
    copy = block(text, rf"COPY INTO {table}\n")
    selected = re.findall(r"\$1:(\w+)::([A-Z0-9]+(?:\(\d+,\d+\))?)", copy)
    assert selected == [(n, SNOWFLAKE[k]) for n, k in cols if not (partitioned and n == "month")]


@pytest.mark.parametrize("table", DDL_TABLES)
@pytest.mark.parametrize("file,statement", [("external_tables.sql", "CREATE OR REPLACE EXTERNAL TABLE"),
                                            ("load_tables.sql", "LOAD DATA OVERWRITE")])
def test_bigquery(sample_output, table, file, statement):
    cols, partitioned = file_columns(sample_output, table)
    stmt = block((ROOT / "sql/bigquery" / file).read_text(), rf"{statement} `\$\{{dataset\}}\.{table}` \(")
    types = dict(BIGQUERY, decimal="NUMERIC(18,2)") if file == "load_tables.sql" else BIGQUERY
    expected = [(n, types[k]) for n, k in cols]
    got = declared(stmt)
    if partitioned:
        assert "WITH PARTITION COLUMNS (\n  month DATE\n)" in stmt
        assert f"hive_partition_uri_prefix = '${{uri}}/{table}'" in stmt
        # The partition key is declared in WITH PARTITION COLUMNS; LOAD DATA also lists it.
        got = [c for c in got if c != ("month", "DATE")] if statement.startswith("CREATE") else got[:-1]
        if statement.startswith("CREATE"):
            expected = expected[1:]
    assert f"uris = ['${{uri}}/{table}/*.parquet']" in stmt
    assert got == expected
