"""Inputs as pandas and pyarrow write them: zoned timestamps (also offsets
Polars cannot name, such as +05:30) and all-null columns of Arrow type null.

Rule under test (docs/METRICS.md section 1): a zoned timestamp counts on its
wall-clock date in the business time zone (--timezone, default UTC); the
layout of the files (one file or Hive folders per day) never changes a number.
"""

import datetime as dt
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import NRR

# Month-end snapshots at 23:30 on the wall clock of Los Angeles (UTC-8 in winter).
LA_EVENINGS = ["2024-01-31T23:30:00-08:00", "2024-02-29T23:30:00-08:00", "2024-03-31T23:30:00-07:00"]


def run(inp, out, *extra):
    return subprocess.run([NRR, "run", "--input", inp, "--output", out, *map(str, extra)],
                          capture_output=True, text=True)


def zoned_table(stamps, tz):
    instants = [dt.datetime.fromisoformat(s) for s in stamps]
    n = len(instants)
    return pa.table({
        "snapshot_date": pa.array(instants, pa.timestamp("us", tz=tz)),
        "customer_id": ["c1"] * n,
        "subscription_id": ["s1"] * n,
        "mrr": [100.0 + 10 * i for i in range(n)],
    })


def months(out):
    return sorted(p.name for p in (out / "mrr_movements").iterdir())


def test_zoned_timestamps_count_on_the_business_day(tmp_path):
    pq.write_table(zoned_table(LA_EVENINGS, "America/Los_Angeles"), tmp_path / "snap.parquet")
    la = run(tmp_path / "snap.parquet", tmp_path / "la", "--timezone", "America/Los_Angeles")
    assert la.returncode == 0, la.stderr
    assert months(tmp_path / "la") == ["month=2024-01-01", "month=2024-02-01", "month=2024-03-01"]
    # In UTC each evening is the first of the next month: an "April" appears.
    utc = run(tmp_path / "snap.parquet", tmp_path / "utc")
    assert utc.returncode == 0, utc.stderr
    assert months(tmp_path / "utc") == ["month=2024-02-01", "month=2024-03-01", "month=2024-04-01"]


def test_pandas_offset_that_polars_cannot_name_reads(tmp_path):
    # pandas writes a fixed-offset zone as "+05:30"; 00:30 in Kolkata is 19:00 UTC the day before.
    stamps = ["2024-02-01T00:30:00+05:30", "2024-03-01T00:30:00+05:30"]
    pq.write_table(zoned_table(stamps, "+05:30"), tmp_path / "snap.parquet")
    ist = run(tmp_path / "snap.parquet", tmp_path / "ist", "--timezone", "+05:30")
    assert ist.returncode == 0, ist.stderr
    assert months(tmp_path / "ist") == ["month=2024-02-01", "month=2024-03-01"]
    utc = run(tmp_path / "snap.parquet", tmp_path / "utc")
    assert utc.returncode == 0, utc.stderr
    assert months(tmp_path / "utc") == ["month=2024-01-01", "month=2024-02-01"]


@pytest.mark.parametrize("tz", ["UTC", "America/Los_Angeles"])
def test_hive_folders_and_one_file_give_the_same_bytes(tmp_path, tz):
    # Hive folders are named by the local (Los Angeles) date, which under UTC
    # is not the rows' business day: the reader must notice and read them all.
    rows = [(stamp, c, 100.0 + 10 * i) for c in ["a", "b", "c"] for i, stamp in enumerate(LA_EVENINGS)]

    def table(rows):
        return pa.table({
            "snapshot_date": pa.array([dt.datetime.fromisoformat(r[0]) for r in rows],
                                      pa.timestamp("us", tz="America/Los_Angeles")),
            "customer_id": [r[1] for r in rows],
            "subscription_id": [r[1] + "-s" for r in rows],
            "mrr": [r[2] for r in rows],
        })

    pq.write_table(table(rows), tmp_path / "flat.parquet")
    for stamp in LA_EVENINGS:
        folder = tmp_path / "hive" / f"snapshot_date={stamp[:10]}"
        folder.mkdir(parents=True)
        pq.write_table(table([r for r in rows if r[0] == stamp]), folder / "part.parquet")
    a = run(tmp_path / "flat.parquet", tmp_path / "a", "--timezone", tz)
    b = run(tmp_path / "hive", tmp_path / "b", "--timezone", tz)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.parquet"))
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.parquet"))
    assert len(files) > 4
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_all_null_status_and_segment_columns_are_accepted(tmp_path):
    n = 2
    table = pa.table({
        "snapshot_date": pa.array([dt.date(2024, 1, 31), dt.date(2024, 2, 29)], pa.date32()),
        "customer_id": ["c1"] * n,
        "subscription_id": ["s1"] * n,
        "mrr": [100.0, 120.0],
        "status": pa.nulls(n),
        "plan": pa.nulls(n),
    })
    assert table.schema.field("status").type == pa.null()
    pq.write_table(table, tmp_path / "snap.parquet")
    done = run(tmp_path / "snap.parquet", tmp_path / "out", "--segment-by", "plan")
    assert done.returncode == 0, done.stderr
    cm = pq.read_table(tmp_path / "out" / "customer_months").to_pylist()
    assert [r["plan"] for r in cm] == ["(unknown)", "(unknown)"]
    assert [str(r["mrr"]) for r in cm] == ["100.00", "120.00"]
