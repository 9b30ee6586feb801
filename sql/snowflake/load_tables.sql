-- Snowflake: native tables loaded with COPY INTO, for teams that do not use external tables.
--
-- Run with SnowSQL variable substitution. The stage's URL is the job's --output root
-- (s3://bucket/prefix/ or another cloud location):
--   !set variable_substitution=true
--   !define nrr_stage=@analytics.nrr.nrr_output
--   !source sql/snowflake/load_tables.sql
-- Types match the Parquet files exactly: DECIMAL(18,2) -> NUMBER(18,2), INT64 -> BIGINT,
-- FLOAT64 -> FLOAT (double precision), DATE -> DATE, STRING -> VARCHAR. The `month`
-- partition folder (month=YYYY-MM-DD) becomes a DATE column from METADATA$FILENAME.
-- customer_months has one VARCHAR column per --segment-by column. Edit those lines to
-- match your run (plan and region here). nrr_matrix_wide has m00..mNN for --horizon N
-- (36 here).
-- A run rewrites every partition of its timeline, so a refresh replaces each table:
-- TRUNCATE, then COPY with FORCE = TRUE (the files may have the same names as before).

CREATE TABLE IF NOT EXISTS customer_months (
  month DATE,
  customer_id VARCHAR,
  cohort_month DATE,
  mrr NUMBER(18,2),
  prev_mrr NUMBER(18,2),
  fx_mrr NUMBER(18,2),
  movement VARCHAR,
  fx_mrr_3m NUMBER(18,2),
  fx_mrr_12m NUMBER(18,2),
  fx_mrr_cohort NUMBER(18,2),
  -- segment columns: one per --segment-by column of the run (here plan, region)
  plan VARCHAR,
  region VARCHAR
);

TRUNCATE TABLE customer_months;
COPY INTO customer_months
FROM (
  SELECT
    TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD'),
    $1:customer_id::VARCHAR,
    $1:cohort_month::DATE,
    $1:mrr::NUMBER(18,2),
    $1:prev_mrr::NUMBER(18,2),
    $1:fx_mrr::NUMBER(18,2),
    $1:movement::VARCHAR,
    $1:fx_mrr_3m::NUMBER(18,2),
    $1:fx_mrr_12m::NUMBER(18,2),
    $1:fx_mrr_cohort::NUMBER(18,2),
    $1:plan::VARCHAR,
    $1:region::VARCHAR
  FROM &nrr_stage/customer_months/
)
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
FORCE = TRUE;

CREATE TABLE IF NOT EXISTS mrr_movements (
  month DATE,
  close_date DATE,
  segment_name VARCHAR,
  segment_value VARCHAR,
  customers_start BIGINT,
  customers_end BIGINT,
  customers_new BIGINT,
  customers_reactivated BIGINT,
  customers_expanded BIGINT,
  customers_contracted BIGINT,
  customers_churned BIGINT,
  mrr_start NUMBER(18,2),
  mrr_new NUMBER(18,2),
  mrr_reactivation NUMBER(18,2),
  mrr_expansion NUMBER(18,2),
  mrr_contraction NUMBER(18,2),
  mrr_churn NUMBER(18,2),
  mrr_fx NUMBER(18,2),
  mrr_end NUMBER(18,2),
  nrr FLOAT,
  grr FLOAT,
  nrr_with_fx FLOAT
);

TRUNCATE TABLE mrr_movements;
COPY INTO mrr_movements
FROM (
  SELECT
    TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD'),
    $1:close_date::DATE,
    $1:segment_name::VARCHAR,
    $1:segment_value::VARCHAR,
    $1:customers_start::BIGINT,
    $1:customers_end::BIGINT,
    $1:customers_new::BIGINT,
    $1:customers_reactivated::BIGINT,
    $1:customers_expanded::BIGINT,
    $1:customers_contracted::BIGINT,
    $1:customers_churned::BIGINT,
    $1:mrr_start::NUMBER(18,2),
    $1:mrr_new::NUMBER(18,2),
    $1:mrr_reactivation::NUMBER(18,2),
    $1:mrr_expansion::NUMBER(18,2),
    $1:mrr_contraction::NUMBER(18,2),
    $1:mrr_churn::NUMBER(18,2),
    $1:mrr_fx::NUMBER(18,2),
    $1:mrr_end::NUMBER(18,2),
    $1:nrr::FLOAT,
    $1:grr::FLOAT,
    $1:nrr_with_fx::FLOAT
  FROM &nrr_stage/mrr_movements/
)
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
FORCE = TRUE;

CREATE TABLE IF NOT EXISTS nrr_summary (
  month DATE,
  window_months BIGINT,
  segment_name VARCHAR,
  segment_value VARCHAR,
  base_customers BIGINT,
  retained_customers BIGINT,
  base_mrr NUMBER(18,2),
  expansion_mrr NUMBER(18,2),
  contraction_mrr NUMBER(18,2),
  churn_mrr NUMBER(18,2),
  fx_mrr NUMBER(18,2),
  retained_mrr NUMBER(18,2),
  gross_retained_mrr NUMBER(18,2),
  nrr FLOAT,
  grr FLOAT,
  nrr_with_fx FLOAT
);

TRUNCATE TABLE nrr_summary;
COPY INTO nrr_summary
FROM (
  SELECT
    TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD'),
    $1:window_months::BIGINT,
    $1:segment_name::VARCHAR,
    $1:segment_value::VARCHAR,
    $1:base_customers::BIGINT,
    $1:retained_customers::BIGINT,
    $1:base_mrr::NUMBER(18,2),
    $1:expansion_mrr::NUMBER(18,2),
    $1:contraction_mrr::NUMBER(18,2),
    $1:churn_mrr::NUMBER(18,2),
    $1:fx_mrr::NUMBER(18,2),
    $1:retained_mrr::NUMBER(18,2),
    $1:gross_retained_mrr::NUMBER(18,2),
    $1:nrr::FLOAT,
    $1:grr::FLOAT,
    $1:nrr_with_fx::FLOAT
  FROM &nrr_stage/nrr_summary/
)
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
FORCE = TRUE;

CREATE TABLE IF NOT EXISTS cohort_matrix (
  month DATE,
  cohort_month DATE,
  months_since_cohort BIGINT,
  segment_name VARCHAR,
  segment_value VARCHAR,
  cohort_customers BIGINT,
  cohort_mrr NUMBER(18,2),
  active_customers BIGINT,
  mrr NUMBER(18,2),
  mrr_expansion NUMBER(18,2),
  mrr_contraction NUMBER(18,2),
  mrr_churn NUMBER(18,2),
  mrr_reactivation NUMBER(18,2),
  mrr_fx NUMBER(18,2),
  nrr FLOAT,
  grr FLOAT,
  logo_retention FLOAT,
  nrr_with_fx FLOAT
);

TRUNCATE TABLE cohort_matrix;
COPY INTO cohort_matrix
FROM (
  SELECT
    TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD'),
    $1:cohort_month::DATE,
    $1:months_since_cohort::BIGINT,
    $1:segment_name::VARCHAR,
    $1:segment_value::VARCHAR,
    $1:cohort_customers::BIGINT,
    $1:cohort_mrr::NUMBER(18,2),
    $1:active_customers::BIGINT,
    $1:mrr::NUMBER(18,2),
    $1:mrr_expansion::NUMBER(18,2),
    $1:mrr_contraction::NUMBER(18,2),
    $1:mrr_churn::NUMBER(18,2),
    $1:mrr_reactivation::NUMBER(18,2),
    $1:mrr_fx::NUMBER(18,2),
    $1:nrr::FLOAT,
    $1:grr::FLOAT,
    $1:logo_retention::FLOAT,
    $1:nrr_with_fx::FLOAT
  FROM &nrr_stage/cohort_matrix/
)
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
FORCE = TRUE;

-- data_quality: the run's findings (docs/METRICS.md, "Data quality").
CREATE TABLE IF NOT EXISTS data_quality (
  month DATE,
  check_name VARCHAR,
  severity VARCHAR,
  customer_id VARCHAR,
  subscription_id VARCHAR,
  value VARCHAR,
  message VARCHAR
);

TRUNCATE TABLE data_quality;
COPY INTO data_quality
FROM (
  SELECT
    TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'month=', 2), '/', 1), 'YYYY-MM-DD'),
    $1:check_name::VARCHAR,
    $1:severity::VARCHAR,
    $1:customer_id::VARCHAR,
    $1:subscription_id::VARCHAR,
    $1:value::VARCHAR,
    $1:message::VARCHAR
  FROM &nrr_stage/data_quality/
)
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
FORCE = TRUE;

CREATE TABLE IF NOT EXISTS nrr_matrix_wide (
  cohort_month DATE,
  segment_name VARCHAR,
  segment_value VARCHAR,
  cohort_customers BIGINT,
  cohort_mrr NUMBER(18,2),
  m00 FLOAT,
  m01 FLOAT,
  m02 FLOAT,
  m03 FLOAT,
  m04 FLOAT,
  m05 FLOAT,
  m06 FLOAT,
  m07 FLOAT,
  m08 FLOAT,
  m09 FLOAT,
  m10 FLOAT,
  m11 FLOAT,
  m12 FLOAT,
  m13 FLOAT,
  m14 FLOAT,
  m15 FLOAT,
  m16 FLOAT,
  m17 FLOAT,
  m18 FLOAT,
  m19 FLOAT,
  m20 FLOAT,
  m21 FLOAT,
  m22 FLOAT,
  m23 FLOAT,
  m24 FLOAT,
  m25 FLOAT,
  m26 FLOAT,
  m27 FLOAT,
  m28 FLOAT,
  m29 FLOAT,
  m30 FLOAT,
  m31 FLOAT,
  m32 FLOAT,
  m33 FLOAT,
  m34 FLOAT,
  m35 FLOAT,
  m36 FLOAT
);

TRUNCATE TABLE nrr_matrix_wide;
COPY INTO nrr_matrix_wide
FROM (
  SELECT
    $1:cohort_month::DATE,
    $1:segment_name::VARCHAR,
    $1:segment_value::VARCHAR,
    $1:cohort_customers::BIGINT,
    $1:cohort_mrr::NUMBER(18,2),
    $1:m00::FLOAT,
    $1:m01::FLOAT,
    $1:m02::FLOAT,
    $1:m03::FLOAT,
    $1:m04::FLOAT,
    $1:m05::FLOAT,
    $1:m06::FLOAT,
    $1:m07::FLOAT,
    $1:m08::FLOAT,
    $1:m09::FLOAT,
    $1:m10::FLOAT,
    $1:m11::FLOAT,
    $1:m12::FLOAT,
    $1:m13::FLOAT,
    $1:m14::FLOAT,
    $1:m15::FLOAT,
    $1:m16::FLOAT,
    $1:m17::FLOAT,
    $1:m18::FLOAT,
    $1:m19::FLOAT,
    $1:m20::FLOAT,
    $1:m21::FLOAT,
    $1:m22::FLOAT,
    $1:m23::FLOAT,
    $1:m24::FLOAT,
    $1:m25::FLOAT,
    $1:m26::FLOAT,
    $1:m27::FLOAT,
    $1:m28::FLOAT,
    $1:m29::FLOAT,
    $1:m30::FLOAT,
    $1:m31::FLOAT,
    $1:m32::FLOAT,
    $1:m33::FLOAT,
    $1:m34::FLOAT,
    $1:m35::FLOAT,
    $1:m36::FLOAT
  FROM &nrr_stage/nrr_matrix_wide/
)
FILE_FORMAT = (TYPE = PARQUET)
PATTERN = '.*[.]parquet'
FORCE = TRUE;
