-- BigQuery: native tables loaded with LOAD DATA, for teams that do not use external tables.
--
-- Replace the placeholders before running (for example with sed or envsubst):
--   ${dataset}  the target dataset, e.g. analytics_nrr
--   ${uri}      the job's --output root, e.g. gs://acme-warehouse/nrr
-- Types match the Parquet files exactly: DECIMAL(18,2) -> NUMERIC(18,2), INT64 -> INT64,
-- FLOAT64 -> FLOAT64, DATE -> DATE, STRING -> STRING. The month=YYYY-MM-DD folders are a
-- Hive partition key, typed DATE.
-- customer_months has one STRING column per --segment-by column. Edit those lines to
-- match your run (plan and region here). nrr_matrix_wide has m00..mNN for --horizon N
-- (36 here). The *.parquet URIs skip anything else in the folders.
-- A run rewrites every partition of its timeline, so each refresh overwrites the table.

LOAD DATA OVERWRITE `${dataset}.customer_months` (
  month DATE,
  customer_id STRING,
  cohort_month DATE,
  mrr NUMERIC(18,2),
  prev_mrr NUMERIC(18,2),
  fx_mrr NUMERIC(18,2),
  movement STRING,
  fx_mrr_3m NUMERIC(18,2),
  fx_mrr_12m NUMERIC(18,2),
  fx_mrr_cohort NUMERIC(18,2),
  -- segment columns: one per --segment-by column of the run (here plan, region)
  plan STRING,
  region STRING
)
PARTITION BY month
FROM FILES (
  format = 'PARQUET',
  uris = ['${uri}/customer_months/*.parquet'],
  hive_partition_uri_prefix = '${uri}/customer_months'
)
WITH PARTITION COLUMNS (
  month DATE
);

LOAD DATA OVERWRITE `${dataset}.mrr_movements` (
  month DATE,
  close_date DATE,
  segment_name STRING,
  segment_value STRING,
  customers_start INT64,
  customers_end INT64,
  customers_new INT64,
  customers_reactivated INT64,
  customers_expanded INT64,
  customers_contracted INT64,
  customers_churned INT64,
  mrr_start NUMERIC(18,2),
  mrr_new NUMERIC(18,2),
  mrr_reactivation NUMERIC(18,2),
  mrr_expansion NUMERIC(18,2),
  mrr_contraction NUMERIC(18,2),
  mrr_churn NUMERIC(18,2),
  mrr_fx NUMERIC(18,2),
  mrr_end NUMERIC(18,2),
  nrr FLOAT64,
  grr FLOAT64,
  nrr_with_fx FLOAT64
)
PARTITION BY month
FROM FILES (
  format = 'PARQUET',
  uris = ['${uri}/mrr_movements/*.parquet'],
  hive_partition_uri_prefix = '${uri}/mrr_movements'
)
WITH PARTITION COLUMNS (
  month DATE
);

LOAD DATA OVERWRITE `${dataset}.nrr_summary` (
  month DATE,
  window_months INT64,
  segment_name STRING,
  segment_value STRING,
  base_customers INT64,
  retained_customers INT64,
  base_mrr NUMERIC(18,2),
  expansion_mrr NUMERIC(18,2),
  contraction_mrr NUMERIC(18,2),
  churn_mrr NUMERIC(18,2),
  fx_mrr NUMERIC(18,2),
  retained_mrr NUMERIC(18,2),
  gross_retained_mrr NUMERIC(18,2),
  nrr FLOAT64,
  grr FLOAT64,
  nrr_with_fx FLOAT64
)
PARTITION BY month
FROM FILES (
  format = 'PARQUET',
  uris = ['${uri}/nrr_summary/*.parquet'],
  hive_partition_uri_prefix = '${uri}/nrr_summary'
)
WITH PARTITION COLUMNS (
  month DATE
);

LOAD DATA OVERWRITE `${dataset}.cohort_matrix` (
  month DATE,
  cohort_month DATE,
  months_since_cohort INT64,
  segment_name STRING,
  segment_value STRING,
  cohort_customers INT64,
  cohort_mrr NUMERIC(18,2),
  active_customers INT64,
  mrr NUMERIC(18,2),
  mrr_expansion NUMERIC(18,2),
  mrr_contraction NUMERIC(18,2),
  mrr_churn NUMERIC(18,2),
  mrr_reactivation NUMERIC(18,2),
  mrr_fx NUMERIC(18,2),
  nrr FLOAT64,
  grr FLOAT64,
  logo_retention FLOAT64,
  nrr_with_fx FLOAT64
)
PARTITION BY month
FROM FILES (
  format = 'PARQUET',
  uris = ['${uri}/cohort_matrix/*.parquet'],
  hive_partition_uri_prefix = '${uri}/cohort_matrix'
)
WITH PARTITION COLUMNS (
  month DATE
);

-- data_quality: the run's findings (docs/METRICS.md, "Data quality").
LOAD DATA OVERWRITE `${dataset}.data_quality` (
  month DATE,
  check_name STRING,
  severity STRING,
  customer_id STRING,
  subscription_id STRING,
  value STRING,
  message STRING
)
PARTITION BY month
FROM FILES (
  format = 'PARQUET',
  uris = ['${uri}/data_quality/*.parquet'],
  hive_partition_uri_prefix = '${uri}/data_quality'
)
WITH PARTITION COLUMNS (
  month DATE
);

LOAD DATA OVERWRITE `${dataset}.nrr_matrix_wide` (
  cohort_month DATE,
  segment_name STRING,
  segment_value STRING,
  cohort_customers INT64,
  cohort_mrr NUMERIC(18,2),
  m00 FLOAT64,
  m01 FLOAT64,
  m02 FLOAT64,
  m03 FLOAT64,
  m04 FLOAT64,
  m05 FLOAT64,
  m06 FLOAT64,
  m07 FLOAT64,
  m08 FLOAT64,
  m09 FLOAT64,
  m10 FLOAT64,
  m11 FLOAT64,
  m12 FLOAT64,
  m13 FLOAT64,
  m14 FLOAT64,
  m15 FLOAT64,
  m16 FLOAT64,
  m17 FLOAT64,
  m18 FLOAT64,
  m19 FLOAT64,
  m20 FLOAT64,
  m21 FLOAT64,
  m22 FLOAT64,
  m23 FLOAT64,
  m24 FLOAT64,
  m25 FLOAT64,
  m26 FLOAT64,
  m27 FLOAT64,
  m28 FLOAT64,
  m29 FLOAT64,
  m30 FLOAT64,
  m31 FLOAT64,
  m32 FLOAT64,
  m33 FLOAT64,
  m34 FLOAT64,
  m35 FLOAT64,
  m36 FLOAT64
)
FROM FILES (
  format = 'PARQUET',
  uris = ['${uri}/nrr_matrix_wide/*.parquet']
);
