-- BigQuery: external tables over the nrr output (no copy).
--
-- Replace the placeholders before running (for example with sed or envsubst):
--   ${dataset}  the target dataset, e.g. analytics_nrr
--   ${uri}      the job's --output root, e.g. gs://acme-warehouse/nrr
-- Types match the Parquet files: DECIMAL(18,2) -> NUMERIC (external tables take no
-- parameterized types; the values carry exactly 2 decimals), INT64 -> INT64,
-- FLOAT64 -> FLOAT64, DATE -> DATE, STRING -> STRING. The month=YYYY-MM-DD folders are a
-- Hive partition key, typed DATE.
-- customer_months has one STRING column per --segment-by column. Edit those lines to
-- match your run (plan and region here). nrr_matrix_wide has m00..mNN for --horizon N
-- (36 here). The *.parquet URIs skip anything else in the folders.

CREATE OR REPLACE EXTERNAL TABLE `${dataset}.customer_months` (
  customer_id STRING,
  cohort_month DATE,
  mrr NUMERIC,
  prev_mrr NUMERIC,
  fx_mrr NUMERIC,
  movement STRING,
  fx_mrr_3m NUMERIC,
  fx_mrr_12m NUMERIC,
  fx_mrr_cohort NUMERIC,
  -- segment columns: one per --segment-by column of the run (here plan, region)
  plan STRING,
  region STRING
)
WITH PARTITION COLUMNS (
  month DATE
)
OPTIONS (
  format = 'PARQUET',
  uris = ['${uri}/customer_months/*.parquet'],
  hive_partition_uri_prefix = '${uri}/customer_months'
);

CREATE OR REPLACE EXTERNAL TABLE `${dataset}.mrr_movements` (
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
  mrr_start NUMERIC,
  mrr_new NUMERIC,
  mrr_reactivation NUMERIC,
  mrr_expansion NUMERIC,
  mrr_contraction NUMERIC,
  mrr_churn NUMERIC,
  mrr_fx NUMERIC,
  mrr_end NUMERIC,
  nrr FLOAT64,
  grr FLOAT64,
  nrr_with_fx FLOAT64
)
WITH PARTITION COLUMNS (
  month DATE
)
OPTIONS (
  format = 'PARQUET',
  uris = ['${uri}/mrr_movements/*.parquet'],
  hive_partition_uri_prefix = '${uri}/mrr_movements'
);

CREATE OR REPLACE EXTERNAL TABLE `${dataset}.nrr_summary` (
  window_months INT64,
  segment_name STRING,
  segment_value STRING,
  base_customers INT64,
  retained_customers INT64,
  base_mrr NUMERIC,
  expansion_mrr NUMERIC,
  contraction_mrr NUMERIC,
  churn_mrr NUMERIC,
  fx_mrr NUMERIC,
  retained_mrr NUMERIC,
  gross_retained_mrr NUMERIC,
  nrr FLOAT64,
  grr FLOAT64,
  nrr_with_fx FLOAT64
)
WITH PARTITION COLUMNS (
  month DATE
)
OPTIONS (
  format = 'PARQUET',
  uris = ['${uri}/nrr_summary/*.parquet'],
  hive_partition_uri_prefix = '${uri}/nrr_summary'
);

CREATE OR REPLACE EXTERNAL TABLE `${dataset}.cohort_matrix` (
  cohort_month DATE,
  months_since_cohort INT64,
  segment_name STRING,
  segment_value STRING,
  cohort_customers INT64,
  cohort_mrr NUMERIC,
  active_customers INT64,
  mrr NUMERIC,
  mrr_expansion NUMERIC,
  mrr_contraction NUMERIC,
  mrr_churn NUMERIC,
  mrr_reactivation NUMERIC,
  mrr_fx NUMERIC,
  nrr FLOAT64,
  grr FLOAT64,
  logo_retention FLOAT64,
  nrr_with_fx FLOAT64
)
WITH PARTITION COLUMNS (
  month DATE
)
OPTIONS (
  format = 'PARQUET',
  uris = ['${uri}/cohort_matrix/*.parquet'],
  hive_partition_uri_prefix = '${uri}/cohort_matrix'
);

-- data_quality: the run's findings (docs/METRICS.md, "Data quality").
CREATE OR REPLACE EXTERNAL TABLE `${dataset}.data_quality` (
  check_name STRING,
  severity STRING,
  customer_id STRING,
  subscription_id STRING,
  value STRING,
  message STRING
)
WITH PARTITION COLUMNS (
  month DATE
)
OPTIONS (
  format = 'PARQUET',
  uris = ['${uri}/data_quality/*.parquet'],
  hive_partition_uri_prefix = '${uri}/data_quality'
);

CREATE OR REPLACE EXTERNAL TABLE `${dataset}.nrr_matrix_wide` (
  cohort_month DATE,
  segment_name STRING,
  segment_value STRING,
  cohort_customers INT64,
  cohort_mrr NUMERIC,
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
OPTIONS (
  format = 'PARQUET',
  uris = ['${uri}/nrr_matrix_wide/*.parquet']
);
