"""`nrr explain`, `nrr diff` and `nrr run --keep-previous`, run as a user
runs them: the binary over real Parquet outputs, with the figures checked
against DuckDB queries over the same tables."""

import json
import shutil
import subprocess
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import NRR, ROOT, generate, run_job

WINDOW_COLUMNS = ["base_customers", "retained_customers", "base_mrr", "expansion_mrr", "contraction_mrr",
                  "churn_mrr", "fx_mrr", "retained_mrr", "gross_retained_mrr"]


def nrr_json(*args):
    done = subprocess.run([NRR, "--quiet", *map(str, args), "--format", "json"], capture_output=True, text=True)
    return done.returncode, (json.loads(done.stdout) if done.returncode in (0, 1) and done.stdout else done.stderr)


def terms(ex):
    return {t["term"]: t for t in ex["terms"]}


def query_one(con, sql, params):
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0]))


@pytest.fixture(scope="module")
def sample(sample_output):
    con = duckdb.connect()
    for t in ["customer_months", "mrr_movements", "nrr_summary", "cohort_matrix"]:
        con.execute(f"create view {t} as select * from read_parquet('{sample_output}/{t}/**/*.parquet', hive_partitioning = true)")
    months = [r[0].strftime("%Y-%m") for r in con.execute("select distinct month from mrr_movements order by 1").fetchall()]
    return sample_output, con, months


@pytest.mark.parametrize("segment", [None, "plan=growth"])
def test_explain_equals_the_tables_for_every_month_and_window(sample, segment):
    out, con, months = sample
    name, value = segment.split("=") if segment else ("all", "all")
    seg = ["--segment", segment] if segment else []
    explained = 0
    for month in months:
        rc, ex = nrr_json("explain", "--output", out, "--month", month, *seg)
        if month == months[0]:
            # The first month's bridge starts from nothing but is still a row.
            assert rc == 0, ex
        assert rc == 0, ex
        assert ex["matches"] and ex["mismatches"] == []
        row = query_one(con, "select * from mrr_movements where strftime(month, '%Y-%m') = ? and segment_name = ? "
                             "and segment_value = ?", [month, name, value])
        t = terms(ex)
        for term, column in [("start", "mrr_start"), ("new", "mrr_new"), ("reactivation", "mrr_reactivation"),
                             ("expansion", "mrr_expansion"), ("contraction", "mrr_contraction"),
                             ("churn", "mrr_churn"), ("fx", "mrr_fx"), ("end", "mrr_end")]:
            assert Decimal(t[term]["mrr"]) == row[column], (month, term)
        assert t["churn"]["customers"] == row["customers_churned"]
        assert ex["nrr"] == row["nrr"] and ex["grr"] == row["grr"] and ex["nrr_with_fx"] == row["nrr_with_fx"]
        for window in [1, 3, 12]:
            rc, ex = nrr_json("explain", "--output", out, "--month", month, "--window", window, *seg)
            row = con.execute("select * from nrr_summary where strftime(month, '%Y-%m') = ? and window_months = ? "
                              "and segment_name = ? and segment_value = ?", [month, window, name, value]).fetchall()
            if not row:
                assert rc == 2, f"{month} {window}: no row, so a usage error ({ex})"
                assert "base month" in ex or "no" in ex
                continue
            assert rc == 0, ex
            assert ex["matches"], ex["mismatches"]
            row = query_one(con, "select * from nrr_summary where strftime(month, '%Y-%m') = ? and window_months = ? "
                                 "and segment_name = ? and segment_value = ?", [month, window, name, value])
            t = terms(ex)
            assert t["base"]["customers"] == row["base_customers"]
            assert t["retained"]["customers"] == row["retained_customers"]
            for term, column in [("base", "base_mrr"), ("expansion", "expansion_mrr"),
                                 ("contraction", "contraction_mrr"), ("churn", "churn_mrr"), ("fx", "fx_mrr"),
                                 ("retained", "retained_mrr"), ("gross_retained", "gross_retained_mrr")]:
                assert Decimal(t[term]["mrr"]) == row[column], (month, window, term)
            assert (ex["nrr"], ex["grr"], ex["nrr_with_fx"]) == (row["nrr"], row["grr"], row["nrr_with_fx"])
            explained += 1
    assert explained > 2 * len(months), "most months have 1- and 3-month rows"


def test_top_contributors_are_those_of_a_query_over_customer_months(sample):
    out, con, months = sample
    month = months[-1]
    rc, ex = nrr_json("explain", "--output", out, "--month", month, "--window", 12, "--top", 5)
    assert rc == 0, ex
    by_term = {c["term"]: c for c in ex["contributors"]}
    # The window rule, straight from the audit trail.
    con.execute(f"""
        create or replace temp view w12 as
        select b.customer_id, b.mrr as base, coalesce(c.mrr, 0) as cur,
               coalesce(c.mrr - c.fx_mrr_12m, 0) as cc
        from customer_months b
        left join customer_months c on c.customer_id = b.customer_id and c.month = b.month + interval 12 month
        where strftime(b.month + interval 12 month, '%Y-%m') = '{month}' and b.mrr > 0
    """)
    queries = {
        "expansion": "select customer_id, cc - base as amount from w12 where cur > 0 and cc > base",
        "churn": "select customer_id, base as amount from w12 where cur = 0",
        "contraction": "select customer_id, base - cc as amount from w12 where cur > 0 and cc < base",
    }
    for term, sql in queries.items():
        rows = con.execute(f"{sql} order by amount desc, customer_id limit 5").fetchall()
        got = [(c["customer_id"], Decimal(c["amount"])) for c in by_term[term]["top"]]
        assert got == [(r[0], r[1]) for r in rows], term
        total, top10 = con.execute(
            f"select sum(amount), (select sum(amount) from ({sql} order by amount desc, customer_id limit 10)) from ({sql})"
        ).fetchone()
        assert Decimal(by_term[term]["total"]) == total
        assert by_term[term]["top10_share"] == pytest.approx(float(top10 / total), rel=1e-12)
    assert by_term["churn"]["customers"] == con.execute("select count(*) from w12 where cur = 0").fetchone()[0]
    # Monthly: the expansion of the month's expansion rows, at the previous month's rates.
    rc, ex = nrr_json("explain", "--output", out, "--month", month, "--top", 3)
    top = [c["customer_id"] for c in {c["term"]: c for c in ex["contributors"]}["expansion"]["top"]]
    rows = con.execute(
        "select customer_id from customer_months where strftime(month, '%Y-%m') = ? and movement = 'expansion' "
        "order by mrr - fx_mrr - prev_mrr desc, customer_id limit 3", [month]).fetchall()
    assert top == [r[0] for r in rows]


def write_snapshots(folder, rows_by_day):
    """One Hive folder per day: rows are (customer, mrr)."""
    for day, rows in rows_by_day.items():
        part = folder / f"snapshot_date={day}"
        part.mkdir(parents=True)
        pq.write_table(pa.table({
            "customer_id": [c for c, _ in rows],
            "subscription_id": [f"s-{c}" for c, _ in rows],
            "mrr": [m for _, m in rows],
            "currency": ["USD"] * len(rows),
            "status": ["active"] * len(rows),
        }), part / "part-00000.parquet")


def test_explain_a_cohort_cell_by_hand(tmp_path):
    # Cohort 2024-01: A 100, B 200, C 50. At 2024-03: A 120 (expansion 20 since the
    # cohort month), B 180 (contraction 20), C gone since February (churn 50), and D
    # is in the March cohort, not this one. nrr = 300/350, grr = 280/350, logo 2/3.
    # March's own movements: A 150 -> 120 and B 200 -> 180, contraction 50.
    write_snapshots(tmp_path / "snap", {
        "2024-01-31": [("A", 100.0), ("B", 200.0), ("C", 50.0)],
        "2024-02-29": [("A", 150.0), ("B", 200.0)],
        "2024-03-31": [("A", 120.0), ("B", 180.0), ("D", 70.0)],
    })
    out = tmp_path / "out"
    subprocess.run([NRR, "--quiet", "run", "--input", tmp_path / "snap", "--output", out], check=True)
    rc, ex = nrr_json("explain", "--output", out, "--month", "2024-03", "--cohort", "2024-01")
    assert rc == 0, ex
    assert ex["kind"] == "cohort" and ex["table"] == "cohort_matrix" and ex["months_since_cohort"] == 2
    assert ex["matches"]
    t = terms(ex)
    assert (t["cohort"]["customers"], t["cohort"]["mrr"]) == (3, "350.00")
    assert (t["expansion"]["mrr"], t["contraction"]["mrr"], t["churn"]["mrr"]) == ("20.00", "20.00", "50.00")
    assert (t["retained"]["customers"], t["retained"]["mrr"]) == (2, "300.00")
    assert t["mrr"]["mrr"] == "300.00" and t["fx"]["mrr"] == "0.00"
    assert ex["nrr"] == 300 / 350 and ex["grr"] == 280 / 350 and ex["logo_retention"] == 2 / 3
    moves = {m["term"]: m["mrr"] for m in ex["month_movements"]}
    assert moves["contraction"] == "50.00" and moves["churn"] == "0.00"
    churn = {c["term"]: c for c in ex["contributors"]}["churn"]
    assert [(c["customer_id"], c["base_mrr"], c["mrr"], c["amount"]) for c in churn["top"]] == [("C", "50.00", "0.00", "50.00")]
    text = subprocess.run([NRR, "explain", "--output", out, "--month", "2024-03", "--cohort", "2024-01"],
                          capture_output=True, text=True, check=True).stdout
    assert "matches cohort_matrix" in text
    assert "(350.00 + 20.00 − 20.00 − 50.00) / 350.00 = 85.71%" in text


def test_explain_refuses_what_is_not_there(sample, tmp_path):
    out, _, months = sample
    rc, err = nrr_json("explain", "--output", out, "--month", "1999-01")
    assert rc == 2 and months[0] in err and months[-1] in err
    rc, err = nrr_json("explain", "--output", out, "--month", months[-1], "--segment", "tier=gold")
    assert rc == 2 and "plan, region" in err
    rc, err = nrr_json("explain", "--output", out, "--month", months[-1], "--window", 6)
    assert rc == 2 and "1, 3 or 12" in err
    (tmp_path / "empty").mkdir()
    rc, err = nrr_json("explain", "--output", tmp_path / "empty", "--month", months[-1])
    assert rc == 3 and "_manifest.json" in err


def change_one_row(src, dst, day):
    """A copy of the snapshots with one row of `day` raised by 100.00; returns its customer."""
    shutil.copytree(src, dst)
    path = dst / f"snapshot_date={day}" / "part-00000.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    i = next(i for i, r in enumerate(rows) if r["currency"] == "USD" and r["status"] == "active" and r["mrr"] > 0)
    rows[i]["mrr"] += 100.0
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    return rows[i]["customer_id"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    generate(tmp / "data", 200, 8, 31)
    customer = change_one_row(tmp / "data" / "snapshots", tmp / "changed", "2023-02-28")
    run_job(tmp / "data", tmp / "a")
    run_job(tmp / "data", tmp / "a2")
    shutil.copy(tmp / "data" / "fx_rates.parquet", tmp / "fx.parquet")
    subprocess.run([NRR, "--quiet", "run", "--input", tmp / "changed", "--fx-rates", tmp / "fx.parquet",
                    "--segment-by", "plan,region", "--output", tmp / "b"], check=True)
    return tmp, customer


def test_diff_of_identical_runs_is_empty(two_runs):
    tmp, _ = two_runs
    rc, d = nrr_json("diff", tmp / "a", tmp / "a2")
    assert rc == 0 and d["identical"] and d["months"] == [] and d["months_compared"] == 8
    text = subprocess.run([NRR, "diff", tmp / "a", tmp / "a2"], capture_output=True, text=True)
    assert text.returncode == 0 and "identical" in text.stdout


def test_diff_names_the_restated_months_cells_and_customer(two_runs):
    tmp, customer = two_runs
    rc, d = nrr_json("diff", tmp / "a", tmp / "b")
    assert rc == 1 and not d["identical"]
    months = [m["month"] for m in d["months"]]
    assert months[0] == "2023-02", "January is untouched"
    feb = d["months"][0]
    end = [c for c in feb["cells"] if c["table"] == "mrr_movements" and c["segment_name"] == "all" and c["column"] == "mrr_end"]
    assert len(end) == 1 and end[0]["delta"] == "100.00"
    assert Decimal(end[0]["new"]) - Decimal(end[0]["old"]) == Decimal("100.00")
    assert any(c["table"] == "nrr_summary" and c["window_months"] == 1 for c in feb["cells"]) or len(months) > 1
    changed = {c["customer_id"]: c for c in feb["customers"]}
    assert feb["customers_changed"] == 1 and customer in changed
    mrr = [f for f in changed[customer]["columns"] if f["column"] == "mrr"][0]
    assert Decimal(mrr["new"]) - Decimal(mrr["old"]) == Decimal("100.00")
    # March compares with February's MRR: it moved as well, for the same customer.
    assert "2023-03" in months
    march = d["months"][months.index("2023-03")]
    assert [c["customer_id"] for c in march["customers"]] == [customer]
    text = subprocess.run([NRR, "diff", tmp / "a", tmp / "b"], capture_output=True, text=True)
    assert text.returncode == 1 and customer in text.stdout and "2023-02" in text.stdout


def test_keep_previous_keeps_the_published_tables_and_logs_the_restatement(two_runs, tmp_path):
    tmp, customer = two_runs
    out = tmp_path / "out"
    args = ["run", "--fx-rates", tmp / "fx.parquet", "--segment-by", "plan,region", "--output", out, "--keep-previous"]
    first = subprocess.run([NRR, *args, "--input", tmp / "data" / "snapshots"], capture_output=True, text=True, check=True)
    assert "no complete output to keep" in first.stderr
    second = subprocess.run([NRR, *args, "--input", tmp / "changed"], capture_output=True, text=True, check=True)
    assert "kept the published tables" in second.stderr
    line = [l for l in second.stderr.splitlines() if "restated" in l]
    rc, d = nrr_json("diff", tmp / "a", tmp / "b")
    restated = [m["month"] for m in d["months"]]
    assert line and f"restated {len(restated)} published months: 2023-02 " in line[0], second.stderr
    assert all(m in line[0] for m in restated[:5])
    # _previous is the first run, byte for byte; the output is the second.
    for table in ["customer_months", "mrr_movements", "nrr_summary", "cohort_matrix", "data_quality"]:
        for part in (tmp / "a" / table).glob("*/part-00000.parquet"):
            kept = out / "_previous" / table / part.parent.name / part.name
            assert kept.read_bytes() == part.read_bytes(), kept
            assert (out / table / part.parent.name / part.name).read_bytes() == (tmp / "b" / table / part.parent.name / part.name).read_bytes()
    assert (out / "_previous" / "_manifest.json").exists()
    rc, d = nrr_json("diff", out / "_previous", out)
    assert rc == 1 and d["months"][0]["month"] == "2023-02"
    # A copy without its manifest (a run died while copying) is refused, not half-read.
    (out / "_previous" / "_manifest.json").unlink()
    rc, err = nrr_json("diff", out / "_previous", out)
    assert rc == 3 and "_manifest.json" in err
    # And a later run keeps a complete copy again.
    subprocess.run([NRR, *args, "--input", tmp / "changed"], capture_output=True, check=True)
    rc, d = nrr_json("diff", out / "_previous", out)
    assert rc == 0 and d["identical"]


def test_diff_of_unreadable_outputs_exits_3(tmp_path, two_runs):
    tmp, _ = two_runs
    rc, err = nrr_json("diff", tmp_path / "missing", tmp / "a")
    assert rc == 3
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "_manifest.json").write_text("{not json")
    rc, err = nrr_json("diff", tmp / "a", tmp_path / "bad")
    assert rc == 3 and "not a valid manifest" in err


def test_diff_sees_the_wide_matrix_and_a_missing_old_output(two_runs, tmp_path):
    tmp, _ = two_runs
    out = tmp_path / "h6"
    subprocess.run([NRR, "--quiet", "run", "--input", tmp / "data" / "snapshots", "--fx-rates", tmp / "fx.parquet",
                    "--segment-by", "plan,region", "--horizon", "6", "--output", out], check=True)
    rc, d = nrr_json("diff", tmp / "a", out)
    assert rc == 1 and d["months"] == [], "only the wide matrix differs"
    assert {"table": "nrr_matrix_wide", "column": "m07", "change": "removed"} in d["columns"]
    # A first night: nothing kept yet.
    rc, _ = nrr_json("diff", tmp_path / "none", out)
    assert rc == 3
    done = subprocess.run([NRR, "diff", "--allow-missing-old", tmp_path / "none", out], capture_output=True, text=True)
    assert done.returncode == 0 and "nothing to compare" in done.stdout


def test_unchanged_kept_files_leave_no_temporary_files(two_runs, tmp_path):
    tmp, _ = two_runs
    out = tmp_path / "out"
    for _ in range(3):
        subprocess.run([NRR, "--quiet", "run", "--input", tmp / "data" / "snapshots", "--fx-rates", tmp / "fx.parquet",
                        "--segment-by", "plan,region", "--output", out, "--keep-previous"], check=True)
    assert [p for p in out.rglob(".*")] == []
    rc, d = nrr_json("diff", out / "_previous", out)
    assert rc == 0 and d["identical"]


def test_explain_on_a_range_run_output(two_runs, tmp_path):
    tmp, _ = two_runs
    # A range run over a full run of other data: months before the range come from the other input.
    out = tmp_path / "mixed"
    shutil.copytree(tmp / "a", out)
    subprocess.run([NRR, "--quiet", "run", "--input", tmp / "changed", "--fx-rates", tmp / "fx.parquet",
                    "--segment-by", "plan,region", "--output", out, "--from", "2023-03", "--to", "2023-08"], check=True)
    rc, ex = nrr_json("explain", "--output", out, "--month", "2023-05", "--window", 3)
    assert rc == 1 and not ex["matches"], "May's 3-month base is February's MRR of the other input"
    base = [m for m in ex["mismatches"] if m["column"] == "base_mrr"][0]
    assert Decimal(base["table"]) - Decimal(base["recomputed"]) == Decimal("100.00"), "money as decimal strings"
    assert all(isinstance(m["table"], (float, type(None))) for m in ex["mismatches"] if m["column"] == "nrr")
    done = subprocess.run([NRR, "explain", "--output", out, "--month", "2023-05", "--window", "3"],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "range run from 2023-03" in done.stderr
    # A range run on an empty output: the base month is not there at all.
    fresh = tmp_path / "fresh"
    subprocess.run([NRR, "--quiet", "run", "--input", tmp / "data" / "snapshots", "--fx-rates", tmp / "fx.parquet",
                    "--segment-by", "plan,region", "--output", fresh, "--from", "2023-06", "--to", "2023-08"], check=True)
    rc, err = nrr_json("explain", "--output", fresh, "--month", "2023-06", "--window", 3)
    assert rc == 2 and "2023-03, which is not in this output" in err and "range run from 2023-06" in err
    rc, err = nrr_json("explain", "--output", fresh, "--month", "2023-07", "--cohort", "2023-01")
    assert rc == 2 and "--cohort" in err
