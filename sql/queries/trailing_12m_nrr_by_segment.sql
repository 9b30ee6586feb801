-- Latest trailing-12-month NRR and GRR (at constant currency: the base month's rates),
-- with the FX impact and NRR at actual rates beside them, for the totals and every
-- segment value.
-- Reads: nrr_summary. Portable SQL (DuckDB, Snowflake, BigQuery, Spark).
SELECT s.month,
       s.segment_name,
       s.segment_value,
       s.base_customers,
       s.retained_customers,
       s.base_mrr,
       s.retained_mrr,
       s.fx_mrr,
       s.nrr,
       s.grr,
       s.nrr_with_fx
FROM nrr_summary s
WHERE s.window_months = 12
  AND s.month = (SELECT MAX(month) FROM nrr_summary WHERE window_months = 12)
ORDER BY CASE WHEN s.segment_name = 'all' THEN 0 ELSE 1 END, s.segment_name, s.nrr DESC, s.segment_value;
