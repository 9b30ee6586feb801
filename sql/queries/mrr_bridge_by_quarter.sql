-- The MRR bridge (waterfall) of each calendar quarter for the totals. Start is the
-- quarter's first-month start, end is its last-month end, and the movements are summed
-- over the quarter's months. It reconciles: end = start + new + reactivation + expansion
-- - contraction - churn + fx (the FX line: exchange-rate moves, kept apart from customer
-- behaviour). A customer that expands and then churns inside one quarter
-- appears in both expansion and churn, as it does in the monthly bridges.
-- Reads: mrr_movements. Portable SQL. EXTRACT(QUARTER ...) exists in DuckDB, Snowflake,
-- BigQuery and Spark.
WITH m AS (
  SELECT mm.*,
         EXTRACT(YEAR FROM month) * 10 + EXTRACT(QUARTER FROM month) AS quarter_key,
         MIN(month) OVER (PARTITION BY EXTRACT(YEAR FROM month), EXTRACT(QUARTER FROM month)) AS quarter_first,
         MAX(month) OVER (PARTITION BY EXTRACT(YEAR FROM month), EXTRACT(QUARTER FROM month)) AS quarter_last
  FROM mrr_movements mm
  WHERE segment_name = 'all'
)
SELECT CAST(EXTRACT(YEAR FROM quarter_first) AS INTEGER) AS year,
       CAST(EXTRACT(QUARTER FROM quarter_first) AS INTEGER) AS quarter,
       quarter_first,
       quarter_last,
       COUNT(*) AS months,
       SUM(CASE WHEN month = quarter_first THEN mrr_start ELSE 0 END) AS mrr_start,
       SUM(mrr_new) AS mrr_new,
       SUM(mrr_reactivation) AS mrr_reactivation,
       SUM(mrr_expansion) AS mrr_expansion,
       SUM(mrr_contraction) AS mrr_contraction,
       SUM(mrr_churn) AS mrr_churn,
       SUM(mrr_fx) AS mrr_fx,
       SUM(CASE WHEN month = quarter_last THEN mrr_end ELSE 0 END) AS mrr_end
FROM m
GROUP BY quarter_key, quarter_first, quarter_last
ORDER BY quarter_first;
