"""Running unattended: SIGKILL at random points leaves every partition fully
old or fully new and the next run repairs the output; re-runs change no byte;
any mix of range runs, backfills and full runs equals one full run."""

import random
import shutil
import signal
import subprocess
import time

import duckdb
import pytest

from conftest import NRR, generate, run_job

MANIFEST = "_manifest.json"


def files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tables_only(found):
    """Table files as readers see them: no manifest, no leases (`_lease/`), no hidden
    temporary files."""
    return {k: v for k, v in found.items()
            if k != MANIFEST and not any(part.startswith((".", "_")) for part in k.split("/"))}


def job(data, out, *extra):
    return [NRR, "--quiet", "run", "--input", data / "snapshots", "--fx-rates", data / "fx_rates.parquet",
            "--segment-by", "plan,region", "--output", out, *extra]


@pytest.fixture(scope="module")
def two_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ops")
    a, b = root / "a", root / "b"
    generate(a, 3000, 24, 31)
    generate(b, 3000, 24, 32)
    out_a, out_b = root / "out_a", root / "out_b"
    run_job(a, out_a)
    run_job(b, out_b)
    return root, a, b, out_a, out_b


def test_sigkill_leaves_old_or_new_partitions_and_the_next_run_repairs(two_inputs):
    root, _, b, out_a, out_b = two_inputs
    old, new = tables_only(files(out_a)), tables_only(files(out_b))
    assert old.keys() == new.keys() and old != new
    started = time.monotonic()
    subprocess.run(job(b, root / "timing"), check=True)
    duration = time.monotonic() - started
    rng = random.Random(7)
    mixed = 0
    for attempt in range(8):
        out = root / f"kill_{attempt}"
        shutil.copytree(out_a, out)
        proc = subprocess.Popen(job(b, out))
        time.sleep(rng.uniform(0.1, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = tables_only(files(out))
        for key, data in now.items():
            assert data in (old.get(key), new.get(key)), f"{key} is neither the old nor the new file"
        assert now.keys() == old.keys(), "a partition went missing"
        mixed += 0 < sum(now[k] == new[k] for k in now) < len(now)
        # Readers see whole files only.
        duckdb.sql(f"select count(*) from read_parquet('{out}/mrr_movements/**/*.parquet', hive_partitioning=true)").fetchall()
        subprocess.run(job(b, out), check=True)
        assert tables_only(files(out)) == new, "the next run did not repair the output"
        assert not list(out.rglob(".*tmp*")), "temporary files left behind"
        assert not list(out.glob("_lease/*")), "the killed run's lease was taken over and released"
    assert mixed > 0, "no kill landed mid-write; the test did not exercise anything"


def test_rerun_changes_no_byte_and_no_mtime(two_inputs):
    root, a, _, out_a, _ = two_inputs
    out = root / "rerun"
    shutil.copytree(out_a, out)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*.parquet")}
    subprocess.run(job(a, out), check=True)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*.parquet")}
    assert after == before


def test_manifest_records_the_run(two_inputs):
    import json
    _, _, _, out_a, _ = two_inputs
    m = json.loads((out_a / MANIFEST).read_text())
    assert m["status"] == "complete" and m["mode"] == "full"
    assert m["timeline_first"] == "2023-01" and m["as_of"] == "2024-12"
    assert m["tables"]["mrr_movements"]["files"] == 24
    assert m["reconciliation"]["bridge_rows_unreconciled"] == 0 and m["reconciliation"]["bridge_rows_checked"] > 0
    assert len(m["input_files"]) == 24 and len(m["input_fingerprint"]) == 16
    rows = duckdb.sql(f"select count(*) from read_parquet('{out_a}/customer_months/**/*.parquet')").fetchone()[0]
    assert m["tables"]["customer_months"]["rows"] == rows


@pytest.fixture(scope="module")
def backfill_input(tmp_path_factory):
    root = tmp_path_factory.mktemp("backfill")
    data = root / "data"
    generate(data, 400, 15, 41)
    full = root / "full"
    run_job(data, full)
    return root, data, tables_only(files(full))


def test_backfill_quarters_equal_a_full_run(backfill_input):
    root, data, full = backfill_input
    out = root / "quarters"
    cmd = [NRR, "--quiet", "backfill", "--input", data / "snapshots", "--fx-rates", data / "fx_rates.parquet",
           "--segment-by", "plan,region", "--output", out, "--from", "2023Q1", "--to", "2024Q1"]
    plan = subprocess.run([*cmd, "--dry-run"], check=True, capture_output=True, text=True).stdout.splitlines()
    assert [line.split()[0] for line in plan] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1"]
    assert "--from 2023-04 --to 2023-06" in plan[1]
    assert not out.exists(), "a dry run wrote something"
    subprocess.run(cmd, check=True)
    assert tables_only(files(out)) == full


def test_range_runs_in_any_order_over_stale_output_equal_a_full_run(backfill_input):
    root, data, full = backfill_input
    out = root / "mixed"
    # An old full run with an earlier as-of, then ranges out of order.
    subprocess.run(job(data, out, "--as-of", "2023-08"), check=True)
    for first, last in [("2023-10", "2024-03"), ("2023-01", "2023-04"), ("2023-05", "2023-09")]:
        subprocess.run(job(data, out, "--from", first, "--to", last), check=True)
    assert tables_only(files(out)) == full
    # A range run touches only its months.
    before = files(out)
    subprocess.run(job(data, out, "--from", "2023-06", "--to", "2023-06"), check=True)
    after = files(out)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed <= {MANIFEST}, changed


def test_json_logs_name_files_rows_stages_and_tables(backfill_input, tmp_path):
    import json
    _, data, _ = backfill_input
    r = subprocess.run([NRR, "--log-format", "json", "run", "--input", data / "snapshots", "--fx-rates", data / "fx_rates.parquet", "--output", tmp_path / "o"],
                       check=True, capture_output=True, text=True)
    events = [json.loads(line) for line in r.stderr.splitlines()]
    messages = [e["fields"].get("message") for e in events]
    listed = next(e for e in events if e["fields"].get("message") == "snapshot files listed")
    assert listed["fields"]["files"] == 15 and listed["fields"]["bytes"] > 0
    close = next(e for e in events if e["fields"].get("message") == "month close")
    assert close["fields"]["rows_read"] >= close["fields"]["close_rows"] > 0
    written = {e["fields"]["table"]: e["fields"]["rows"] for e in events if e["fields"].get("message") == "written"}
    assert set(written) == {"customer_months", "mrr_movements", "nrr_summary", "cohort_matrix", "data_quality", "nrr_matrix_wide"}
    stages = {e["span"]["name"] for e in events if e["fields"].get("message") == "close" and "span" in e}
    assert {"read", "month_close", "fold", "movements", "windows", "cohorts", "write"} <= stages
    folded = [e["fields"] for e in events if e["fields"].get("message") == "month folded"]
    assert [f["done"] for f in folded] == list(range(1, len(folded) + 1)) and folded[-1]["months"] == len(folded)
    assert sum(f["rows"] for f in folded) == close["fields"]["close_rows"]
    assert all("time.busy" in e["fields"] for e in events if e["fields"].get("message") == "close")
    assert "manifest written" in messages


def test_config_file_reads_variables_from_the_environment(backfill_input, tmp_path):
    import os
    _, data, full = backfill_input
    config = tmp_path / "job.toml"
    config.write_text('input = "${NRR_TEST_DATA}/snapshots"\nfx_rates = "${NRR_TEST_DATA}/fx_rates.parquet"\n'
                      'output = "${NRR_TEST_OUT}"\nsegment_by = ["plan", "region"]\n')
    env = dict(os.environ, NRR_TEST_DATA=str(data), NRR_TEST_OUT=str(tmp_path / "out"))
    subprocess.run([NRR, "--quiet", "run", "--config", config], env=env, check=True)
    assert tables_only(files(tmp_path / "out")) == full
    env.pop("NRR_TEST_OUT")
    r = subprocess.run([NRR, "--quiet", "run", "--config", config], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "NRR_TEST_OUT is not set" in r.stderr, r.stderr
