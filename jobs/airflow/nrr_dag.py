"""nrr in Airflow: a nightly run and a manually triggered quarterly backfill.

nrr_nightly   run (full run, keeps last night's tables in _previous/, writes _manifest.json
              last) >> check_manifest >> diff_previous (logs what changed since last night)
nrr_backfill  one range run per quarter, in parallel >> rebuild_wide_matrix >> check_manifest

The tasks call the nrr binary with BashOperator. It must be on the worker's PATH,
or set NRR_BIN. The job configs live in jobs/*.toml (NRR_JOBS_DIR) and read
${NRR_BUCKET} from the environment. For Kubernetes, swap each BashOperator for a
KubernetesPodOperator running the nrr image with the same arguments:

    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    run = KubernetesPodOperator(
        task_id="run",
        name="nrr-nightly",
        image="registry.example.com/nrr:latest",
        cmds=["nrr"],
        arguments=["--log-format", "json", "run", "--config", "/etc/nrr/nightly.toml"],
        env_vars={"NRR_BUCKET": NRR_BUCKET},
        service_account_name="nrr",   # IRSA / workload identity gives the S3 credentials
        get_logs=True,
    )
"""

import os
from datetime import datetime, timedelta

try:  # Airflow 3
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.bash import BashOperator

NRR = os.environ.get("NRR_BIN", "nrr")
JOBS = os.environ.get("NRR_JOBS_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
NRR_BUCKET = os.environ.get("NRR_BUCKET", "acme-warehouse")
OUTPUT = f"s3://{NRR_BUCKET}/warehouse/nrr"
ENV = {"NRR_BUCKET": NRR_BUCKET}

# Quarters of the backfill DAG, fixed when the DAG is parsed. Change them here,
# or set NRR_BACKFILL_FROM / NRR_BACKFILL_TO on the scheduler.
BACKFILL_FROM = os.environ.get("NRR_BACKFILL_FROM", "2023Q1")
BACKFILL_TO = os.environ.get("NRR_BACKFILL_TO", "2024Q4")


def quarters(first: str, last: str) -> list[str]:
    """['2023Q1', '2023Q2', ...] from first to last, inclusive."""
    def index(q: str) -> int:
        year, n = q.upper().split("Q")
        return int(year) * 4 + int(n) - 1
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(index(first), index(last) + 1)]


def quarter_end(q: str) -> str:
    year, n = q.upper().split("Q")
    return f"{year}-{3 * int(n):02d}"


default_args = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
}

with DAG(
    dag_id="nrr_nightly",
    description="Nightly NRR/GRR tables from subscription snapshots",
    schedule="30 2 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["nrr", "finance"],
) as nightly:
    run = BashOperator(
        task_id="run",
        bash_command=f"{NRR} --log-format json run --config {JOBS}/nightly.toml --keep-previous",
        env=ENV,
        append_env=True,
        execution_timeout=timedelta(hours=1),
    )
    check = BashOperator(
        task_id="check_manifest",
        bash_command=f"{NRR} --log-format json check --output {OUTPUT}",
        env=ENV,
        append_env=True,
        retries=0,
    )
    # What changed since last night (late data, restated history): logged for
    # people; exit 1 only means "something changed", so it does not fail the task.
    # The first night (or after a crash cut the copy short) there is nothing to compare.
    diff = BashOperator(
        task_id="diff_previous",
        bash_command=f"{NRR} diff --allow-missing-old {OUTPUT}/_previous {OUTPUT}; rc=$?; [ $rc -le 1 ]",
        env=ENV,
        append_env=True,
        retries=0,
    )
    run >> check >> diff

with DAG(
    dag_id="nrr_backfill",
    description="Rewrite NRR partitions quarter by quarter (trigger manually)",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=4,
    default_args=default_args,
    tags=["nrr", "finance", "backfill"],
) as backfill:
    steps = [
        BashOperator(
            task_id=f"quarter_{q}",
            bash_command=f"{NRR} --log-format json backfill --config {JOBS}/backfill.toml --from {q} --to {q}",
            env=ENV,
            append_env=True,
            execution_timeout=timedelta(hours=2),
        )
        for q in quarters(BACKFILL_FROM, BACKFILL_TO)
    ]
    # Quarters ran in parallel; one last one-month run rebuilds nrr_matrix_wide
    # from every cohort_matrix partition and writes the manifest.
    last_month = quarter_end(BACKFILL_TO)
    rebuild = BashOperator(
        task_id="rebuild_wide_matrix",
        bash_command=f"{NRR} --log-format json run --config {JOBS}/backfill.toml --from {last_month} --to {last_month}",
        env=ENV,
        append_env=True,
    )
    verify = BashOperator(
        task_id="check_manifest",
        bash_command=f"{NRR} --log-format json check --output {OUTPUT}",
        env=ENV,
        append_env=True,
        retries=0,
    )
    steps >> rebuild >> verify
