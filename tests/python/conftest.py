"""Shared fixtures: the nrr binary, generated datasets and job runs."""

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
NRR = os.environ.get("NRR_BIN", "nrr")


def nrr(*args):
    subprocess.run([NRR, "--quiet", *map(str, args)], check=True)


def generate(out, customers, months, seed, daily=False):
    nrr("generate", "--customers", customers, "--months", months, "--seed", seed,
        "--output", out, *(["--daily"] if daily else []))


def run_job(data, out, segments="plan,region"):
    nrr("run", "--input", data / "snapshots", "--fx-rates", data / "fx_rates.parquet",
        "--segment-by", segments, "--output", out)


TABLES = ["customer_months", "mrr_movements", "nrr_summary", "cohort_matrix", "nrr_matrix_wide"]


def mount_output(con, out):
    """Views named after the tables over a job's Parquet output."""
    for table in TABLES:
        path = out / table
        if table == "nrr_matrix_wide":
            con.execute(f"create or replace view {table} as select * from read_parquet('{path}/*.parquet')")
        else:
            con.execute(
                f"create or replace view {table} as "
                f"select * from read_parquet('{path}/**/*.parquet', hive_partitioning = true)"
            )


@pytest.fixture(scope="session")
def sample_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "out"
    run_job(ROOT / "sample_data", out)
    return out


@pytest.fixture()
def output_db(sample_output):
    con = duckdb.connect()
    mount_output(con, sample_output)
    return con
