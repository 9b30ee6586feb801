-- Snowflake: external tables over the nrr output (no copy, always current after a refresh).
--
-- Run with SnowSQL variable substitution. The stage's URL is the job's --output root
-- (s3://bucket/prefix/ or another cloud location):
--   !set variable_substitution=true
--   !define nrr_stage=@analytics.nrr.nrr_output
--   !source sql/snowflake/external_tables.sql
-- Types match the Parquet files exactly: DECIMAL(18,2) -> NUMBER(18,2), INT64 -> BIGINT,
-- FLOAT64 -> FLOAT (double precision), DATE -> DATE, STRING -> VARCHAR. The `month`
-- partition folder (month=YYYY-MM-DD) becomes a DATE column from METADATA$FILENAME.
-- customer_months has one VARCHAR column per --segment-by column. Edit those lines to
-- match your run (plan and region here). nrr_matrix_wide has m00..mNN for --horizon N
-- (36 here).

CREATE OR REPLACE EXTERNAL TABLE customer_months (
  month DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD')),
  customer_id VARCHAR AS (VALUE:customer_id::VARCHAR),
  cohort_month DATE AS (VALUE:cohort_month::DATE),
  mrr NUMBER(18,2) AS (VALUE:mrr::NUMBER(18,2)),
  prev_mrr NUMBER(18,2) AS (VALUE:prev_mrr::NUMBER(18,2)),
  fx_mrr NUMBER(18,2) AS (VALUE:fx_mrr::NUMBER(18,2)),
  movement VARCHAR AS (VALUE:movement::VARCHAR),
  fx_mrr_3m NUMBER(18,2) AS (VALUE:fx_mrr_3m::NUMBER(18,2)),
  fx_mrr_12m NUMBER(18,2) AS (VALUE:fx_mrr_12m::NUMBER(18,2)),
  fx_mrr_cohort NUMBER(18,2) AS (VALUE:fx_mrr_cohort::NUMBER(18,2)),
  -- segment columns: one per --segment-by column of the run (here plan, region)
  plan VARCHAR AS (VALUE:plan::VARCHAR),
  region VARCHAR AS (VALUE:region::VARCHAR)
)
PARTITION BY (month)
LOCATION = &nrr_stage/customer_months/
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
AUTO_REFRESH = FALSE;

CREATE OR REPLACE EXTERNAL TABLE mrr_movements (
  month DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD')),
  close_date DATE AS (VALUE:close_date::DATE),
  segment_name VARCHAR AS (VALUE:segment_name::VARCHAR),
  segment_value VARCHAR AS (VALUE:segment_value::VARCHAR),
  customers_start BIGINT AS (VALUE:customers_start::BIGINT),
  customers_end BIGINT AS (VALUE:customers_end::BIGINT),
  customers_new BIGINT AS (VALUE:customers_new::BIGINT),
  customers_reactivated BIGINT AS (VALUE:customers_reactivated::BIGINT),
  customers_expanded BIGINT AS (VALUE:customers_expanded::BIGINT),
  customers_contracted BIGINT AS (VALUE:customers_contracted::BIGINT),
  customers_churned BIGINT AS (VALUE:customers_churned::BIGINT),
  mrr_start NUMBER(18,2) AS (VALUE:mrr_start::NUMBER(18,2)),
  mrr_new NUMBER(18,2) AS (VALUE:mrr_new::NUMBER(18,2)),
  mrr_reactivation NUMBER(18,2) AS (VALUE:mrr_reactivation::NUMBER(18,2)),
  mrr_expansion NUMBER(18,2) AS (VALUE:mrr_expansion::NUMBER(18,2)),
  mrr_contraction NUMBER(18,2) AS (VALUE:mrr_contraction::NUMBER(18,2)),
  mrr_churn NUMBER(18,2) AS (VALUE:mrr_churn::NUMBER(18,2)),
  mrr_fx NUMBER(18,2) AS (VALUE:mrr_fx::NUMBER(18,2)),
  mrr_end NUMBER(18,2) AS (VALUE:mrr_end::NUMBER(18,2)),
  nrr FLOAT AS (VALUE:nrr::FLOAT),
  grr FLOAT AS (VALUE:grr::FLOAT),
  nrr_with_fx FLOAT AS (VALUE:nrr_with_fx::FLOAT)
)
PARTITION BY (month)
LOCATION = &nrr_stage/mrr_movements/
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
AUTO_REFRESH = FALSE;

CREATE OR REPLACE EXTERNAL TABLE nrr_summary (
  month DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD')),
  window_months BIGINT AS (VALUE:window_months::BIGINT),
  segment_name VARCHAR AS (VALUE:segment_name::VARCHAR),
  segment_value VARCHAR AS (VALUE:segment_value::VARCHAR),
  base_customers BIGINT AS (VALUE:base_customers::BIGINT),
  retained_customers BIGINT AS (VALUE:retained_customers::BIGINT),
  base_mrr NUMBER(18,2) AS (VALUE:base_mrr::NUMBER(18,2)),
  expansion_mrr NUMBER(18,2) AS (VALUE:expansion_mrr::NUMBER(18,2)),
  contraction_mrr NUMBER(18,2) AS (VALUE:contraction_mrr::NUMBER(18,2)),
  churn_mrr NUMBER(18,2) AS (VALUE:churn_mrr::NUMBER(18,2)),
  fx_mrr NUMBER(18,2) AS (VALUE:fx_mrr::NUMBER(18,2)),
  retained_mrr NUMBER(18,2) AS (VALUE:retained_mrr::NUMBER(18,2)),
  gross_retained_mrr NUMBER(18,2) AS (VALUE:gross_retained_mrr::NUMBER(18,2)),
  nrr FLOAT AS (VALUE:nrr::FLOAT),
  grr FLOAT AS (VALUE:grr::FLOAT),
  nrr_with_fx FLOAT AS (VALUE:nrr_with_fx::FLOAT)
)
PARTITION BY (month)
LOCATION = &nrr_stage/nrr_summary/
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
AUTO_REFRESH = FALSE;

CREATE OR REPLACE EXTERNAL TABLE cohort_matrix (
  month DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD')),
  cohort_month DATE AS (VALUE:cohort_month::DATE),
  months_since_cohort BIGINT AS (VALUE:months_since_cohort::BIGINT),
  segment_name VARCHAR AS (VALUE:segment_name::VARCHAR),
  segment_value VARCHAR AS (VALUE:segment_value::VARCHAR),
  cohort_customers BIGINT AS (VALUE:cohort_customers::BIGINT),
  cohort_mrr NUMBER(18,2) AS (VALUE:cohort_mrr::NUMBER(18,2)),
  active_customers BIGINT AS (VALUE:active_customers::BIGINT),
  mrr NUMBER(18,2) AS (VALUE:mrr::NUMBER(18,2)),
  mrr_expansion NUMBER(18,2) AS (VALUE:mrr_expansion::NUMBER(18,2)),
  mrr_contraction NUMBER(18,2) AS (VALUE:mrr_contraction::NUMBER(18,2)),
  mrr_churn NUMBER(18,2) AS (VALUE:mrr_churn::NUMBER(18,2)),
  mrr_reactivation NUMBER(18,2) AS (VALUE:mrr_reactivation::NUMBER(18,2)),
  mrr_fx NUMBER(18,2) AS (VALUE:mrr_fx::NUMBER(18,2)),
  nrr FLOAT AS (VALUE:nrr::FLOAT),
  grr FLOAT AS (VALUE:grr::FLOAT),
  logo_retention FLOAT AS (VALUE:logo_retention::FLOAT),
  nrr_with_fx FLOAT AS (VALUE:nrr_with_fx::FLOAT)
)
PARTITION BY (month)
LOCATION = &nrr_stage/cohort_matrix/
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
AUTO_REFRESH = FALSE;

-- data_quality: the run's findings (docs/METRICS.md, "Data quality"); no segment columns.
CREATE OR REPLACE EXTERNAL TABLE data_quality (
  month DATE AS (TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD')),
  check_name VARCHAR AS (VALUE:check_name::VARCHAR),
  severity VARCHAR AS (VALUE:severity::VARCHAR),
  customer_id VARCHAR AS (VALUE:customer_id::VARCHAR),
  subscription_id VARCHAR AS (VALUE:subscription_id::VARCHAR),
  value VARCHAR AS (VALUE:value::VARCHAR),
  message VARCHAR AS (VALUE:message::VARCHAR)
)
PARTITION BY (month)
LOCATION = &nrr_stage/data_quality/
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
AUTO_REFRESH = FALSE;

CREATE OR REPLACE EXTERNAL TABLE nrr_matrix_wide (
  cohort_month DATE AS (VALUE:cohort_month::DATE),
  segment_name VARCHAR AS (VALUE:segment_name::VARCHAR),
  segment_value VARCHAR AS (VALUE:segment_value::VARCHAR),
  cohort_customers BIGINT AS (VALUE:cohort_customers::BIGINT),
  cohort_mrr NUMBER(18,2) AS (VALUE:cohort_mrr::NUMBER(18,2)),
  m00 FLOAT AS (VALUE:m00::FLOAT),
  m01 FLOAT AS (VALUE:m01::FLOAT),
  m02 FLOAT AS (VALUE:m02::FLOAT),
  m03 FLOAT AS (VALUE:m03::FLOAT),
  m04 FLOAT AS (VALUE:m04::FLOAT),
  m05 FLOAT AS (VALUE:m05::FLOAT),
  m06 FLOAT AS (VALUE:m06::FLOAT),
  m07 FLOAT AS (VALUE:m07::FLOAT),
  m08 FLOAT AS (VALUE:m08::FLOAT),
  m09 FLOAT AS (VALUE:m09::FLOAT),
  m10 FLOAT AS (VALUE:m10::FLOAT),
  m11 FLOAT AS (VALUE:m11::FLOAT),
  m12 FLOAT AS (VALUE:m12::FLOAT),
  m13 FLOAT AS (VALUE:m13::FLOAT),
  m14 FLOAT AS (VALUE:m14::FLOAT),
  m15 FLOAT AS (VALUE:m15::FLOAT),
  m16 FLOAT AS (VALUE:m16::FLOAT),
  m17 FLOAT AS (VALUE:m17::FLOAT),
  m18 FLOAT AS (VALUE:m18::FLOAT),
  m19 FLOAT AS (VALUE:m19::FLOAT),
  m20 FLOAT AS (VALUE:m20::FLOAT),
  m21 FLOAT AS (VALUE:m21::FLOAT),
  m22 FLOAT AS (VALUE:m22::FLOAT),
  m23 FLOAT AS (VALUE:m23::FLOAT),
  m24 FLOAT AS (VALUE:m24::FLOAT),
  m25 FLOAT AS (VALUE:m25::FLOAT),
  m26 FLOAT AS (VALUE:m26::FLOAT),
  m27 FLOAT AS (VALUE:m27::FLOAT),
  m28 FLOAT AS (VALUE:m28::FLOAT),
  m29 FLOAT AS (VALUE:m29::FLOAT),
  m30 FLOAT AS (VALUE:m30::FLOAT),
  m31 FLOAT AS (VALUE:m31::FLOAT),
  m32 FLOAT AS (VALUE:m32::FLOAT),
  m33 FLOAT AS (VALUE:m33::FLOAT),
  m34 FLOAT AS (VALUE:m34::FLOAT),
  m35 FLOAT AS (VALUE:m35::FLOAT),
  m36 FLOAT AS (VALUE:m36::FLOAT)
)
LOCATION = &nrr_stage/nrr_matrix_wide/
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
AUTO_REFRESH = FALSE;

-- After each run (or from a task that waits for the run): refresh the file lists.
-- ALTER EXTERNAL TABLE customer_months REFRESH;
-- ALTER EXTERNAL TABLE mrr_movements REFRESH;
-- ALTER EXTERNAL TABLE nrr_summary REFRESH;
-- ALTER EXTERNAL TABLE cohort_matrix REFRESH;
-- ALTER EXTERNAL TABLE data_quality REFRESH;
-- ALTER EXTERNAL TABLE nrr_matrix_wide REFRESH;
