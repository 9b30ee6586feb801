-- nrr reference engine: the rules of docs/METRICS.md as one portable SQL script.
--
-- This is the scale-out path. When the snapshots outgrow one machine, a warehouse
-- (Snowflake, BigQuery, Spark SQL, DuckDB) runs this script over them. The test suite
-- (tests/python/test_sql_twin.py) runs it in DuckDB over the same snapshots as the
-- Rust job and requires every cell of every table to match: money to the cent, ratios
-- to 1e-9. It was written from docs/METRICS.md, not translated from the Rust code.
--
-- INPUT: three tables or views that the caller provides.
--   snapshots(snapshot_date DATE, customer_id, subscription_id, mrr, currency, status)
--       customer_id and subscription_id may be text or integers. mrr is in major units.
--       currency may be NULL, meaning the reporting currency.
--   fx_rates(month DATE, currency, rate)
--       1 unit of currency = rate units of the reporting currency. May be empty.
--   segment_values(snapshot_date DATE, subscription_id, segment_name, segment_value)
--       The --segment-by columns, unpivoted. May be empty. A missing or NULL value
--       means '(unknown)'.
-- Optional: nrr_params(reporting_currency, as_of_idx). as_of_idx = year*12 + month - 1,
-- or NULL for the last month in the data. The script creates it with defaults if absent.
--
-- The job's data_quality table (findings about the input, METRICS.md section 11) is not
-- computed here: it describes the data, not the metric, and stays with the job. Nor are
-- the job's input options: the zero statuses are the default list (edit the IN list
-- below for a configured `zero_statuses`), close(M) is always the latest day (no
-- `--close-day` pins, no partial-close check), snapshot_date is cast to DATE in the
-- session's time zone (`--timezone` is the job's), and TRIM strips spaces only.
--
-- OUTPUT TABLES: customer_months, mrr_movements, nrr_summary, cohort_matrix,
-- nrr_matrix_wide (horizon 36), and customer_segments (customer_id, segment_name,
-- segment_value). The last one is the long form of customer_months' segment columns,
-- whose names depend on the input. Column names and types are those of the job's
-- Parquet output: money DECIMAL(18,2), ratios DOUBLE (NULL when the base is 0),
-- months DATE (first day), counts BIGINT.
--
-- The job rejects bad input (gaps, duplicates, missing FX rates, negative MRR).
-- This script assumes input that passed those checks, and raises no errors itself.
--
-- PORTABILITY: ANSI window functions, GROUP BY and CREATE TABLE AS, with per-engine
-- edits marked "ENGINE:".
--   * DATE_TRUNC('month', d): BigQuery DATE_TRUNC(d, MONTH); Spark and Snowflake as written.
--   * Exact money: amounts and rates are cast to DECIMAL(38,10), multiplied exactly,
--     then rounded half away from zero to cents with FLOOR(x * 100 + 0.5) (amounts are
--     never negative). BigQuery: use BIGNUMERIC for the product.
--     Snowflake: NUMBER(38,10) * NUMBER(38,10) keeps scale 12 at most. That is still
--     exact for rates with up to 10 decimals and amounts with up to 2.
--     The job reads a float as the shortest decimal that reads back as the same float.
--     Casting to 10 decimals gives the same cents unless an amount has more than
--     10 significant decimals and sits within 1e-10 of a half cent.
--   * SUM over integers is cast to BIGINT, because DuckDB widens it to HUGEINT.
--   * CREATE TABLE IF NOT EXISTS: Snowflake, BigQuery, Spark and DuckDB all accept it.
--     The other CREATE TABLEs are plain: run the script in a fresh schema, or drop its
--     output tables first (Snowflake, BigQuery, DuckDB: CREATE OR REPLACE TABLE).
--   * BigQuery, beyond DATE_TRUNC: VARCHAR -> STRING, DOUBLE -> FLOAT64,
--     DECIMAL(38,10) -> BIGNUMERIC, decimal literals 0.5 and 0.01 -> NUMERIC '0.5' and
--     NUMERIC '0.01' (plain literals are FLOAT64 there), and
--     a default dataset for the unqualified table names.

CREATE TABLE IF NOT EXISTS nrr_params AS
SELECT CAST('USD' AS VARCHAR) AS reporting_currency, CAST(NULL AS INTEGER) AS as_of_idx;

-- 1. Month close -----------------------------------------------------------------
-- Months are integers (year*12 + month - 1), so "the month before" is plain arithmetic.
CREATE TABLE nrr_tmp_rows AS
SELECT CAST(snapshot_date AS DATE) AS snapshot_date,
       CAST(EXTRACT(YEAR FROM snapshot_date) AS INTEGER) * 12
         + CAST(EXTRACT(MONTH FROM snapshot_date) AS INTEGER) - 1 AS month_idx,
       CAST(customer_id AS VARCHAR) AS customer_id,
       CAST(subscription_id AS VARCHAR) AS subscription_id,
       mrr,
       UPPER(TRIM(CAST(currency AS VARCHAR))) AS currency,
       LOWER(TRIM(CAST(status AS VARCHAR))) AS status
FROM snapshots;

-- close(M) = the latest snapshot_date in M over the whole input.
CREATE TABLE nrr_tmp_close AS
SELECT month_idx, MAX(snapshot_date) AS close_date
FROM nrr_tmp_rows
GROUP BY month_idx;

-- Timeline: the first month in the data through the as-of month.
CREATE TABLE nrr_tmp_timeline AS
SELECT MIN(c.month_idx) AS first_idx,
       COALESCE(MAX(p.as_of_idx), MAX(c.month_idx)) AS last_idx
FROM nrr_tmp_close c CROSS JOIN nrr_params p;

CREATE TABLE nrr_tmp_months AS
SELECT c.month_idx, c.close_date,
       CAST(DATE_TRUNC('month', c.close_date) AS DATE) AS month   -- ENGINE: BigQuery DATE_TRUNC(c.close_date, MONTH)
FROM nrr_tmp_close c CROSS JOIN nrr_tmp_timeline t
WHERE c.month_idx BETWEEN t.first_idx AND t.last_idx;

-- 2. Money ------------------------------------------------------------------------
CREATE TABLE nrr_tmp_fx AS
SELECT CAST(EXTRACT(YEAR FROM month) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM month) AS INTEGER) - 1 AS month_idx,
       UPPER(TRIM(CAST(currency AS VARCHAR))) AS currency,
       rate
FROM fx_rates;

-- Rows on close dates whose status counts, in reporting-currency cents, rounded once
-- half away from zero. The local amount and currency stay, to be valued again at
-- another month's rates (constant currency, METRICS.md section 2a).
CREATE TABLE nrr_tmp_sub_months AS
SELECT r.customer_id,
       r.subscription_id,
       r.month_idx,
       r.snapshot_date,
       CAST(r.mrr AS DECIMAL(38, 10)) AS local_mrr,
       CASE WHEN r.currency IS NULL OR r.currency = UPPER(TRIM(p.reporting_currency)) THEN NULL
            ELSE r.currency END AS fx_currency,
       CAST(FLOOR(
         CAST(r.mrr AS DECIMAL(38, 10))
         * CASE WHEN r.currency IS NULL OR r.currency = UPPER(TRIM(p.reporting_currency)) THEN CAST(1 AS DECIMAL(38, 10))
                ELSE CAST(fx.rate AS DECIMAL(38, 10)) END
         * 100 + 0.5) AS BIGINT) AS cents
FROM nrr_tmp_rows r
JOIN nrr_tmp_close c ON c.month_idx = r.month_idx AND c.close_date = r.snapshot_date
CROSS JOIN nrr_params p
CROSS JOIN nrr_tmp_timeline t
LEFT JOIN nrr_tmp_fx fx ON fx.month_idx = r.month_idx AND fx.currency = r.currency
WHERE r.month_idx <= t.last_idx
  AND (r.status IS NULL
       OR r.status NOT IN ('trialing', 'paused', 'canceled', 'cancelled', 'incomplete', 'incomplete_expired'));

-- 3. Customer MRR, active months only (a zero month adds nothing to any sum) -------
CREATE TABLE nrr_tmp_active AS
SELECT customer_id, month_idx, CAST(SUM(cents) AS BIGINT) AS mrr
FROM nrr_tmp_sub_months
GROUP BY customer_id, month_idx
HAVING SUM(cents) > 0;

-- MRR_at(c, M, B): M's amounts at B's rates, each subscription-month rounded once.
-- Needed for B = M-1, M-3, M-12 (the month before and the window bases) and for B =
-- the cohort month. fx_currency is NULL for the reporting currency (rate 1).
CREATE TABLE nrr_tmp_cohort_of AS
SELECT customer_id, MIN(month_idx) AS cohort_idx FROM nrr_tmp_active GROUP BY customer_id;

CREATE TABLE nrr_tmp_base_pairs AS
SELECT a.customer_id, a.month_idx, a.month_idx - 1 AS base_idx FROM nrr_tmp_active a
UNION
SELECT a.customer_id, a.month_idx, a.month_idx - 3 FROM nrr_tmp_active a
UNION
SELECT a.customer_id, a.month_idx, a.month_idx - 12 FROM nrr_tmp_active a
UNION
SELECT a.customer_id, a.month_idx, c.cohort_idx FROM nrr_tmp_active a JOIN nrr_tmp_cohort_of c ON c.customer_id = a.customer_id;

CREATE TABLE nrr_tmp_at AS
SELECT p.customer_id, p.month_idx, p.base_idx,
       CAST(SUM(CASE WHEN s.fx_currency IS NULL THEN s.cents
                     ELSE FLOOR(s.local_mrr * CAST(fx.rate AS DECIMAL(38, 10)) * 100 + 0.5) END) AS BIGINT) AS mrr_at
FROM nrr_tmp_base_pairs p
JOIN nrr_tmp_sub_months s ON s.customer_id = p.customer_id AND s.month_idx = p.month_idx
LEFT JOIN nrr_tmp_fx fx ON fx.month_idx = p.base_idx AND fx.currency = s.fx_currency
GROUP BY p.customer_id, p.month_idx, p.base_idx;

-- 4. Movements --------------------------------------------------------------------
-- Each active month is compared with the previous month. When the previous active
-- month is not adjacent, prev = 0. After each run of active months comes one churn
-- row, in the following month, if that month is inside the timeline. A customer
-- active in both months expands or contracts by its MRR at the previous month's
-- rates (mrr_cc); the rest of the change is its FX impact.
CREATE TABLE nrr_tmp_lagged AS
SELECT customer_id,
       month_idx,
       mrr,
       MIN(month_idx) OVER (PARTITION BY customer_id) AS cohort_idx,
       LAG(month_idx) OVER (PARTITION BY customer_id ORDER BY month_idx) AS prev_idx,
       LAG(mrr) OVER (PARTITION BY customer_id ORDER BY month_idx) AS prev_active_mrr,
       LEAD(month_idx) OVER (PARTITION BY customer_id ORDER BY month_idx) AS next_idx
FROM nrr_tmp_active;

CREATE TABLE nrr_tmp_cm AS
SELECT l.customer_id, l.month_idx, l.cohort_idx, l.mrr,
       CASE WHEN l.prev_idx = l.month_idx - 1 THEN l.prev_active_mrr ELSE 0 END AS prev_mrr,
       CASE WHEN l.prev_idx = l.month_idx - 1 THEN at1.mrr_at ELSE l.mrr END AS mrr_cc,
       atc.mrr_at AS mrr_at_cohort,
       -- FX impact against the 3- and 12-month window bases' rates, where the
       -- customer is in that base (active in M-3, M-12).
       CASE WHEN b3.mrr IS NOT NULL THEN l.mrr - at3.mrr_at ELSE 0 END AS fx_mrr_3m,
       CASE WHEN b12.mrr IS NOT NULL THEN l.mrr - at12.mrr_at ELSE 0 END AS fx_mrr_12m
FROM nrr_tmp_lagged l
LEFT JOIN nrr_tmp_at at1
  ON at1.customer_id = l.customer_id AND at1.month_idx = l.month_idx AND at1.base_idx = l.month_idx - 1
LEFT JOIN nrr_tmp_at atc
  ON atc.customer_id = l.customer_id AND atc.month_idx = l.month_idx AND atc.base_idx = l.cohort_idx
LEFT JOIN nrr_tmp_active b3 ON b3.customer_id = l.customer_id AND b3.month_idx = l.month_idx - 3
LEFT JOIN nrr_tmp_at at3
  ON at3.customer_id = l.customer_id AND at3.month_idx = l.month_idx AND at3.base_idx = l.month_idx - 3
LEFT JOIN nrr_tmp_active b12 ON b12.customer_id = l.customer_id AND b12.month_idx = l.month_idx - 12
LEFT JOIN nrr_tmp_at at12
  ON at12.customer_id = l.customer_id AND at12.month_idx = l.month_idx AND at12.base_idx = l.month_idx - 12
UNION ALL
SELECT l.customer_id, l.month_idx + 1, l.cohort_idx, 0, l.mrr, 0, 0, 0, 0
FROM nrr_tmp_lagged l CROSS JOIN nrr_tmp_timeline t
WHERE (l.next_idx IS NULL OR l.next_idx <> l.month_idx + 1)
  AND l.month_idx + 1 <= t.last_idx;

CREATE TABLE nrr_tmp_movements AS
SELECT customer_id, month_idx, cohort_idx, mrr, prev_mrr, mrr_cc, mrr_at_cohort, fx_mrr_3m, fx_mrr_12m,
       mrr - mrr_at_cohort AS fx_mrr_cohort,
       CASE WHEN mrr > 0 AND month_idx = cohort_idx THEN 'new'
            WHEN prev_mrr = 0 THEN 'reactivation'
            WHEN mrr = 0 THEN 'churn'
            WHEN mrr_cc > prev_mrr THEN 'expansion'
            WHEN mrr_cc < prev_mrr THEN 'contraction'
            ELSE 'flat' END AS movement,
       CASE WHEN prev_mrr > 0 AND mrr > 0 AND month_idx <> cohort_idx THEN mrr - mrr_cc ELSE 0 END AS fx_mrr
FROM nrr_tmp_cm;

-- 5. Segments ---------------------------------------------------------------------
-- Fixed for life: the value on the customer's highest-MRR subscription in its cohort
-- month, with ties going to the smallest subscription_id as text.
CREATE TABLE nrr_tmp_cohort_sub AS
SELECT customer_id, snapshot_date, subscription_id
FROM (
  SELECT s.customer_id, s.snapshot_date, s.subscription_id,
         ROW_NUMBER() OVER (PARTITION BY s.customer_id ORDER BY s.cents DESC, s.subscription_id ASC) AS rn
  FROM nrr_tmp_sub_months s
  JOIN (SELECT DISTINCT customer_id, cohort_idx FROM nrr_tmp_movements) c
    ON c.customer_id = s.customer_id AND c.cohort_idx = s.month_idx
) ranked
WHERE rn = 1;

CREATE TABLE customer_segments AS
SELECT cs.customer_id,
       n.segment_name,
       COALESCE(MAX(CAST(v.segment_value AS VARCHAR)), '(unknown)') AS segment_value
FROM nrr_tmp_cohort_sub cs
CROSS JOIN (SELECT DISTINCT CAST(segment_name AS VARCHAR) AS segment_name FROM segment_values) n
LEFT JOIN segment_values v
  ON CAST(v.snapshot_date AS DATE) = cs.snapshot_date
 AND CAST(v.subscription_id AS VARCHAR) = cs.subscription_id
 AND CAST(v.segment_name AS VARCHAR) = n.segment_name
GROUP BY cs.customer_id, n.segment_name;

-- Every customer is in the totals ('all', 'all') and in one value of each segment.
CREATE TABLE nrr_tmp_member AS
SELECT customer_id, 'all' AS segment_name, 'all' AS segment_value FROM nrr_tmp_cohort_sub
UNION ALL
SELECT customer_id, segment_name, segment_value FROM customer_segments;

-- Each (segment_name, segment_value) is reported from its first cohort month on (the
-- totals from the first month of the timeline), so no month's rows depend on later data.
CREATE TABLE nrr_tmp_keys AS
SELECT g.segment_name, g.segment_value, MIN(c.cohort_idx) AS first_idx
FROM nrr_tmp_member g
JOIN (SELECT DISTINCT customer_id, cohort_idx FROM nrr_tmp_movements) c ON c.customer_id = g.customer_id
WHERE g.segment_name <> 'all'
GROUP BY g.segment_name, g.segment_value
UNION ALL
SELECT 'all', 'all', t.first_idx FROM nrr_tmp_timeline t;

-- 6. customer_months --------------------------------------------------------------
CREATE TABLE customer_months AS
SELECT mv.customer_id,
       m.month,
       c.month AS cohort_month,
       CAST(CAST(mv.mrr AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr,
       CAST(CAST(mv.prev_mrr AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS prev_mrr,
       CAST(CAST(mv.fx_mrr AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS fx_mrr,
       mv.movement,
       CAST(CAST(mv.fx_mrr_3m AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS fx_mrr_3m,
       CAST(CAST(mv.fx_mrr_12m AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS fx_mrr_12m,
       CAST(CAST(mv.fx_mrr_cohort AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS fx_mrr_cohort
FROM nrr_tmp_movements mv
JOIN nrr_tmp_months m ON m.month_idx = mv.month_idx
JOIN nrr_tmp_months c ON c.month_idx = mv.cohort_idx;

-- 7. mrr_movements: the monthly bridge, a row for every month and segment value --
CREATE TABLE nrr_tmp_long AS
SELECT mv.*, g.segment_name, g.segment_value
FROM nrr_tmp_movements mv JOIN nrr_tmp_member g ON g.customer_id = mv.customer_id;

CREATE TABLE nrr_tmp_bridge AS
SELECT month_idx, segment_name, segment_value,
       CAST(SUM(CASE WHEN prev_mrr > 0 THEN 1 ELSE 0 END) AS BIGINT) AS customers_start,
       CAST(SUM(CASE WHEN mrr > 0 THEN 1 ELSE 0 END) AS BIGINT) AS customers_end,
       CAST(SUM(CASE WHEN movement = 'new' THEN 1 ELSE 0 END) AS BIGINT) AS customers_new,
       CAST(SUM(CASE WHEN movement = 'reactivation' THEN 1 ELSE 0 END) AS BIGINT) AS customers_reactivated,
       CAST(SUM(CASE WHEN movement = 'expansion' THEN 1 ELSE 0 END) AS BIGINT) AS customers_expanded,
       CAST(SUM(CASE WHEN movement = 'contraction' THEN 1 ELSE 0 END) AS BIGINT) AS customers_contracted,
       CAST(SUM(CASE WHEN movement = 'churn' THEN 1 ELSE 0 END) AS BIGINT) AS customers_churned,
       CAST(SUM(prev_mrr) AS BIGINT) AS mrr_start,
       CAST(SUM(CASE WHEN movement = 'new' THEN mrr ELSE 0 END) AS BIGINT) AS mrr_new,
       CAST(SUM(CASE WHEN movement = 'reactivation' THEN mrr ELSE 0 END) AS BIGINT) AS mrr_reactivation,
       CAST(SUM(CASE WHEN movement = 'expansion' THEN mrr_cc - prev_mrr ELSE 0 END) AS BIGINT) AS mrr_expansion,
       CAST(SUM(CASE WHEN movement = 'contraction' THEN prev_mrr - mrr_cc ELSE 0 END) AS BIGINT) AS mrr_contraction,
       CAST(SUM(CASE WHEN movement = 'churn' THEN prev_mrr ELSE 0 END) AS BIGINT) AS mrr_churn,
       CAST(SUM(fx_mrr) AS BIGINT) AS mrr_fx,
       CAST(SUM(mrr) AS BIGINT) AS mrr_end
FROM nrr_tmp_long
GROUP BY month_idx, segment_name, segment_value;

CREATE TABLE mrr_movements AS
SELECT m.month, m.close_date, k.segment_name, k.segment_value,
       COALESCE(b.customers_start, 0) AS customers_start,
       COALESCE(b.customers_end, 0) AS customers_end,
       COALESCE(b.customers_new, 0) AS customers_new,
       COALESCE(b.customers_reactivated, 0) AS customers_reactivated,
       COALESCE(b.customers_expanded, 0) AS customers_expanded,
       COALESCE(b.customers_contracted, 0) AS customers_contracted,
       COALESCE(b.customers_churned, 0) AS customers_churned,
       CAST(CAST(COALESCE(b.mrr_start, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_start,
       CAST(CAST(COALESCE(b.mrr_new, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_new,
       CAST(CAST(COALESCE(b.mrr_reactivation, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_reactivation,
       CAST(CAST(COALESCE(b.mrr_expansion, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_expansion,
       CAST(CAST(COALESCE(b.mrr_contraction, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_contraction,
       CAST(CAST(COALESCE(b.mrr_churn, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_churn,
       CAST(CAST(COALESCE(b.mrr_fx, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_fx,
       CAST(CAST(COALESCE(b.mrr_end, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_end,
       CASE WHEN b.mrr_start > 0
            THEN CAST(b.mrr_start + b.mrr_expansion - b.mrr_contraction - b.mrr_churn AS DOUBLE) / CAST(b.mrr_start AS DOUBLE)
       END AS nrr,
       CASE WHEN b.mrr_start > 0
            THEN CAST(b.mrr_start - b.mrr_contraction - b.mrr_churn AS DOUBLE) / CAST(b.mrr_start AS DOUBLE)
       END AS grr,
       CASE WHEN b.mrr_start > 0
            THEN CAST(b.mrr_start + b.mrr_expansion - b.mrr_contraction - b.mrr_churn + b.mrr_fx AS DOUBLE)
                 / CAST(b.mrr_start AS DOUBLE)
       END AS nrr_with_fx
FROM nrr_tmp_months m
JOIN nrr_tmp_keys k ON m.month_idx >= k.first_idx
LEFT JOIN nrr_tmp_bridge b
  ON b.month_idx = m.month_idx AND b.segment_name = k.segment_name AND b.segment_value = k.segment_value;

-- 8. nrr_summary: trailing windows of 1, 3 and 12 months ---------------------------
-- Base = customers active at M-w. Each one's net change from M-w to M, at M-w's
-- rates (cur_cc), is expansion, contraction or churn; the rest is its FX impact.
CREATE TABLE nrr_tmp_windows AS
SELECT 1 AS w UNION ALL SELECT 3 UNION ALL SELECT 12;

CREATE TABLE nrr_tmp_window_pairs AS
SELECT b.customer_id, b.month_idx + w.w AS month_idx, w.w, b.mrr AS base, COALESCE(c.mrr, 0) AS cur,
       COALESCE(a.mrr_at, 0) AS cur_cc
FROM nrr_tmp_active b
CROSS JOIN nrr_tmp_windows w
CROSS JOIN nrr_tmp_timeline t
LEFT JOIN nrr_tmp_active c ON c.customer_id = b.customer_id AND c.month_idx = b.month_idx + w.w
LEFT JOIN nrr_tmp_at a
  ON a.customer_id = b.customer_id AND a.month_idx = b.month_idx + w.w AND a.base_idx = b.month_idx
WHERE b.month_idx + w.w <= t.last_idx;

CREATE TABLE nrr_tmp_window_sums AS
SELECT p.month_idx, p.w, g.segment_name, g.segment_value,
       CAST(COUNT(*) AS BIGINT) AS base_customers,
       CAST(SUM(CASE WHEN p.cur > 0 THEN 1 ELSE 0 END) AS BIGINT) AS retained_customers,
       CAST(SUM(p.base) AS BIGINT) AS base_mrr,
       CAST(SUM(CASE WHEN p.cur > 0 AND p.cur_cc > p.base THEN p.cur_cc - p.base ELSE 0 END) AS BIGINT) AS expansion_mrr,
       CAST(SUM(CASE WHEN p.cur > 0 AND p.cur_cc < p.base THEN p.base - p.cur_cc ELSE 0 END) AS BIGINT) AS contraction_mrr,
       CAST(SUM(CASE WHEN p.cur = 0 THEN p.base ELSE 0 END) AS BIGINT) AS churn_mrr,
       CAST(SUM(CASE WHEN p.cur > 0 THEN p.cur - p.cur_cc ELSE 0 END) AS BIGINT) AS fx_mrr,
       CAST(SUM(CASE WHEN p.cur > 0 THEN p.cur_cc ELSE 0 END) AS BIGINT) AS retained_mrr,
       CAST(SUM(CASE WHEN p.cur = 0 THEN 0 WHEN p.cur_cc < p.base THEN p.cur_cc ELSE p.base END) AS BIGINT) AS gross_retained_mrr
FROM nrr_tmp_window_pairs p JOIN nrr_tmp_member g ON g.customer_id = p.customer_id
GROUP BY p.month_idx, p.w, g.segment_name, g.segment_value;

CREATE TABLE nrr_summary AS
SELECT m.month, CAST(w.w AS BIGINT) AS window_months, k.segment_name, k.segment_value,
       COALESCE(s.base_customers, 0) AS base_customers,
       COALESCE(s.retained_customers, 0) AS retained_customers,
       CAST(CAST(COALESCE(s.base_mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS base_mrr,
       CAST(CAST(COALESCE(s.expansion_mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS expansion_mrr,
       CAST(CAST(COALESCE(s.contraction_mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS contraction_mrr,
       CAST(CAST(COALESCE(s.churn_mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS churn_mrr,
       CAST(CAST(COALESCE(s.fx_mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS fx_mrr,
       CAST(CAST(COALESCE(s.retained_mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS retained_mrr,
       CAST(CAST(COALESCE(s.gross_retained_mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS gross_retained_mrr,
       CASE WHEN s.base_mrr > 0 THEN CAST(s.retained_mrr AS DOUBLE) / CAST(s.base_mrr AS DOUBLE) END AS nrr,
       CASE WHEN s.base_mrr > 0 THEN CAST(s.gross_retained_mrr AS DOUBLE) / CAST(s.base_mrr AS DOUBLE) END AS grr,
       CASE WHEN s.base_mrr > 0 THEN CAST(s.retained_mrr + s.fx_mrr AS DOUBLE) / CAST(s.base_mrr AS DOUBLE) END AS nrr_with_fx
FROM nrr_tmp_months m
CROSS JOIN nrr_tmp_windows w
CROSS JOIN nrr_tmp_timeline t
CROSS JOIN nrr_tmp_keys k
LEFT JOIN nrr_tmp_window_sums s
  ON s.month_idx = m.month_idx AND s.w = w.w AND s.segment_name = k.segment_name AND s.segment_value = k.segment_value
WHERE m.month_idx - w.w >= t.first_idx
  AND m.month_idx >= k.first_idx;

-- 9. cohort_matrix --------------------------------------------------------------
-- A cohort is the customers whose first active month is c. Each one is followed from
-- c to the as-of month; nrr and grr value every month at c's rates, nrr_with_fx at
-- actual rates.
CREATE TABLE nrr_tmp_cohort_customers AS
SELECT customer_id, cohort_idx, mrr AS cohort_mrr
FROM nrr_tmp_movements
WHERE movement = 'new';

CREATE TABLE nrr_tmp_cohort_sizes AS
SELECT c.cohort_idx, g.segment_name, g.segment_value,
       CAST(COUNT(*) AS BIGINT) AS cohort_customers,
       CAST(SUM(c.cohort_mrr) AS BIGINT) AS cohort_mrr
FROM nrr_tmp_cohort_customers c JOIN nrr_tmp_member g ON g.customer_id = c.customer_id
GROUP BY c.cohort_idx, g.segment_name, g.segment_value;

CREATE TABLE nrr_tmp_cohort_sums AS
SELECT l.cohort_idx, l.month_idx, l.segment_name, l.segment_value,
       CAST(SUM(CASE WHEN l.mrr > 0 THEN 1 ELSE 0 END) AS BIGINT) AS active_customers,
       CAST(SUM(l.mrr) AS BIGINT) AS mrr,
       CAST(SUM(CASE WHEN l.movement = 'expansion' THEN l.mrr_cc - l.prev_mrr ELSE 0 END) AS BIGINT) AS mrr_expansion,
       CAST(SUM(CASE WHEN l.movement = 'contraction' THEN l.prev_mrr - l.mrr_cc ELSE 0 END) AS BIGINT) AS mrr_contraction,
       CAST(SUM(CASE WHEN l.movement = 'churn' THEN l.prev_mrr ELSE 0 END) AS BIGINT) AS mrr_churn,
       CAST(SUM(CASE WHEN l.movement = 'reactivation' THEN l.mrr ELSE 0 END) AS BIGINT) AS mrr_reactivation,
       CAST(SUM(l.fx_mrr) AS BIGINT) AS mrr_fx,
       CAST(SUM(l.mrr_at_cohort) AS BIGINT) AS cc_mrr,
       CAST(SUM(CASE WHEN l.mrr_at_cohort < c.cohort_mrr THEN l.mrr_at_cohort ELSE c.cohort_mrr END) AS BIGINT) AS gross_mrr
FROM nrr_tmp_long l JOIN nrr_tmp_cohort_customers c ON c.customer_id = l.customer_id
GROUP BY l.cohort_idx, l.month_idx, l.segment_name, l.segment_value;

CREATE TABLE cohort_matrix AS
SELECT cm.month AS cohort_month,
       CAST(m.month_idx - z.cohort_idx AS BIGINT) AS months_since_cohort,
       m.month,
       z.segment_name, z.segment_value,
       z.cohort_customers,
       CAST(CAST(z.cohort_mrr AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS cohort_mrr,
       COALESCE(s.active_customers, 0) AS active_customers,
       CAST(CAST(COALESCE(s.mrr, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr,
       CAST(CAST(COALESCE(s.mrr_expansion, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_expansion,
       CAST(CAST(COALESCE(s.mrr_contraction, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_contraction,
       CAST(CAST(COALESCE(s.mrr_churn, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_churn,
       CAST(CAST(COALESCE(s.mrr_reactivation, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_reactivation,
       CAST(CAST(COALESCE(s.mrr_fx, 0) AS DECIMAL(18, 2)) * 0.01 AS DECIMAL(18, 2)) AS mrr_fx,
       CASE WHEN z.cohort_mrr > 0 THEN CAST(COALESCE(s.cc_mrr, 0) AS DOUBLE) / CAST(z.cohort_mrr AS DOUBLE) END AS nrr,
       CASE WHEN z.cohort_mrr > 0 THEN CAST(COALESCE(s.gross_mrr, 0) AS DOUBLE) / CAST(z.cohort_mrr AS DOUBLE) END AS grr,
       CASE WHEN z.cohort_customers > 0
            THEN CAST(COALESCE(s.active_customers, 0) AS DOUBLE) / CAST(z.cohort_customers AS DOUBLE) END AS logo_retention,
       CASE WHEN z.cohort_mrr > 0 THEN CAST(COALESCE(s.mrr, 0) AS DOUBLE) / CAST(z.cohort_mrr AS DOUBLE) END AS nrr_with_fx
FROM nrr_tmp_cohort_sizes z
JOIN nrr_tmp_months cm ON cm.month_idx = z.cohort_idx
JOIN nrr_tmp_months m ON m.month_idx >= z.cohort_idx
LEFT JOIN nrr_tmp_cohort_sums s
  ON s.cohort_idx = z.cohort_idx AND s.month_idx = m.month_idx
 AND s.segment_name = z.segment_name AND s.segment_value = z.segment_value;

-- 10. nrr_matrix_wide: NRR by months since cohort, horizon 36 ---------------------
-- A cell that has not been observed yet is NULL. For another horizon, add or remove
-- mNN columns.
CREATE TABLE nrr_matrix_wide AS
SELECT cohort_month, segment_name, segment_value, cohort_customers, cohort_mrr,
       MAX(CASE WHEN months_since_cohort = 0 THEN nrr END) AS m00,
       MAX(CASE WHEN months_since_cohort = 1 THEN nrr END) AS m01,
       MAX(CASE WHEN months_since_cohort = 2 THEN nrr END) AS m02,
       MAX(CASE WHEN months_since_cohort = 3 THEN nrr END) AS m03,
       MAX(CASE WHEN months_since_cohort = 4 THEN nrr END) AS m04,
       MAX(CASE WHEN months_since_cohort = 5 THEN nrr END) AS m05,
       MAX(CASE WHEN months_since_cohort = 6 THEN nrr END) AS m06,
       MAX(CASE WHEN months_since_cohort = 7 THEN nrr END) AS m07,
       MAX(CASE WHEN months_since_cohort = 8 THEN nrr END) AS m08,
       MAX(CASE WHEN months_since_cohort = 9 THEN nrr END) AS m09,
       MAX(CASE WHEN months_since_cohort = 10 THEN nrr END) AS m10,
       MAX(CASE WHEN months_since_cohort = 11 THEN nrr END) AS m11,
       MAX(CASE WHEN months_since_cohort = 12 THEN nrr END) AS m12,
       MAX(CASE WHEN months_since_cohort = 13 THEN nrr END) AS m13,
       MAX(CASE WHEN months_since_cohort = 14 THEN nrr END) AS m14,
       MAX(CASE WHEN months_since_cohort = 15 THEN nrr END) AS m15,
       MAX(CASE WHEN months_since_cohort = 16 THEN nrr END) AS m16,
       MAX(CASE WHEN months_since_cohort = 17 THEN nrr END) AS m17,
       MAX(CASE WHEN months_since_cohort = 18 THEN nrr END) AS m18,
       MAX(CASE WHEN months_since_cohort = 19 THEN nrr END) AS m19,
       MAX(CASE WHEN months_since_cohort = 20 THEN nrr END) AS m20,
       MAX(CASE WHEN months_since_cohort = 21 THEN nrr END) AS m21,
       MAX(CASE WHEN months_since_cohort = 22 THEN nrr END) AS m22,
       MAX(CASE WHEN months_since_cohort = 23 THEN nrr END) AS m23,
       MAX(CASE WHEN months_since_cohort = 24 THEN nrr END) AS m24,
       MAX(CASE WHEN months_since_cohort = 25 THEN nrr END) AS m25,
       MAX(CASE WHEN months_since_cohort = 26 THEN nrr END) AS m26,
       MAX(CASE WHEN months_since_cohort = 27 THEN nrr END) AS m27,
       MAX(CASE WHEN months_since_cohort = 28 THEN nrr END) AS m28,
       MAX(CASE WHEN months_since_cohort = 29 THEN nrr END) AS m29,
       MAX(CASE WHEN months_since_cohort = 30 THEN nrr END) AS m30,
       MAX(CASE WHEN months_since_cohort = 31 THEN nrr END) AS m31,
       MAX(CASE WHEN months_since_cohort = 32 THEN nrr END) AS m32,
       MAX(CASE WHEN months_since_cohort = 33 THEN nrr END) AS m33,
       MAX(CASE WHEN months_since_cohort = 34 THEN nrr END) AS m34,
       MAX(CASE WHEN months_since_cohort = 35 THEN nrr END) AS m35,
       MAX(CASE WHEN months_since_cohort = 36 THEN nrr END) AS m36
FROM cohort_matrix
GROUP BY cohort_month, segment_name, segment_value, cohort_customers, cohort_mrr;

-- Scratch tables -------------------------------------------------------------------
DROP TABLE nrr_tmp_rows;
DROP TABLE nrr_tmp_close;
DROP TABLE nrr_tmp_timeline;
DROP TABLE nrr_tmp_months;
DROP TABLE nrr_tmp_fx;
DROP TABLE nrr_tmp_sub_months;
DROP TABLE nrr_tmp_active;
DROP TABLE nrr_tmp_cohort_of;
DROP TABLE nrr_tmp_base_pairs;
DROP TABLE nrr_tmp_at;
DROP TABLE nrr_tmp_lagged;
DROP TABLE nrr_tmp_cm;
DROP TABLE nrr_tmp_movements;
DROP TABLE nrr_tmp_cohort_sub;
DROP TABLE nrr_tmp_member;
DROP TABLE nrr_tmp_keys;
DROP TABLE nrr_tmp_long;
DROP TABLE nrr_tmp_bridge;
DROP TABLE nrr_tmp_windows;
DROP TABLE nrr_tmp_window_pairs;
DROP TABLE nrr_tmp_window_sums;
DROP TABLE nrr_tmp_cohort_customers;
DROP TABLE nrr_tmp_cohort_sizes;
DROP TABLE nrr_tmp_cohort_sums;
