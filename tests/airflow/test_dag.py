"""jobs/airflow/nrr_dag.py parsed by real Apache Airflow (pinned in
requirements-airflow.txt): no import errors, the expected tasks, order and
schedules."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    os.environ["NRR_BACKFILL_FROM"] = "2023Q3"
    os.environ["NRR_BACKFILL_TO"] = "2024Q2"
    from airflow.models.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "jobs/airflow"), include_examples=False)


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"nrr_nightly", "nrr_backfill"}


def test_nightly_runs_then_checks_the_manifest(dagbag):
    dag = dagbag.dags["nrr_nightly"]
    assert dag.timetable.summary == "30 2 * * *"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert set(dag.task_ids) == {"run", "check_manifest", "diff_previous"}
    run, check, diff = dag.get_task("run"), dag.get_task("check_manifest"), dag.get_task("diff_previous")
    assert check.upstream_task_ids == {"run"}
    assert diff.upstream_task_ids == {"check_manifest"}
    assert "run --config" in run.bash_command and "nightly.toml --keep-previous" in run.bash_command
    assert " diff --allow-missing-old s3://" in diff.bash_command and "/_previous s3://" in diff.bash_command
    assert "--log-format json" in run.bash_command
    assert " check --output s3://" in check.bash_command


def test_backfill_fans_out_one_task_per_quarter(dagbag):
    dag = dagbag.dags["nrr_backfill"]
    assert dag.timetable.summary in ("None", "Never, external triggers only")
    quarters = ["2023Q3", "2023Q4", "2024Q1", "2024Q2"]
    assert set(dag.task_ids) == {f"quarter_{q}" for q in quarters} | {"rebuild_wide_matrix", "check_manifest"}
    for q in quarters:
        task = dag.get_task(f"quarter_{q}")
        assert task.upstream_task_ids == set()
        assert f"backfill --config" in task.bash_command and f"--from {q} --to {q}" in task.bash_command
    rebuild = dag.get_task("rebuild_wide_matrix")
    assert rebuild.upstream_task_ids == {f"quarter_{q}" for q in quarters}
    assert "--from 2024-06 --to 2024-06" in rebuild.bash_command
    assert dag.get_task("check_manifest").upstream_task_ids == {"rebuild_wide_matrix"}
