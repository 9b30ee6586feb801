-- The straightforward SQL pipeline the issue measures against: a dense month
-- spine crossed with every customer, LAG over it, then GROUP BY. Totals only
-- (mrr_movements for segment 'all'). Expects views `snapshots` and `fx_rates`.
WITH close AS (
  SELECT date_trunc('month', snapshot_date) AS month, MAX(snapshot_date) AS close_date
  FROM snapshots GROUP BY 1
),
sub_months AS (
  SELECT c.month, s.customer_id,
         FLOOR(CAST(s.mrr AS DECIMAL(38,10)) * CAST(COALESCE(f.rate, 1) AS DECIMAL(38,10)) * 100 + 0.5) AS cents
  FROM snapshots s
  JOIN close c ON s.snapshot_date = c.close_date
  LEFT JOIN fx_rates f ON f.month = c.month AND f.currency = s.currency AND s.currency <> 'USD'
  WHERE s.status IS NULL OR lower(s.status) NOT IN ('trialing','paused','canceled','cancelled','incomplete','incomplete_expired')
),
customer_month AS (
  SELECT customer_id, month, SUM(cents) AS mrr FROM sub_months GROUP BY 1, 2
),
spine AS (
  SELECT c.customer_id, m.month
  FROM (SELECT DISTINCT customer_id FROM customer_month) c CROSS JOIN (SELECT month FROM close) m
),
filled AS (
  SELECT s.customer_id, s.month, COALESCE(cm.mrr, 0) AS mrr
  FROM spine s LEFT JOIN customer_month cm USING (customer_id, month)
),
lagged AS (
  SELECT customer_id, month, mrr,
         COALESCE(LAG(mrr) OVER (PARTITION BY customer_id ORDER BY month), 0) AS prev,
         MIN(CASE WHEN mrr > 0 THEN month END) OVER (PARTITION BY customer_id) AS cohort
  FROM filled
)
SELECT month,
       SUM(prev) AS mrr_start,
       SUM(CASE WHEN month = cohort THEN mrr ELSE 0 END) AS mrr_new,
       SUM(CASE WHEN month > cohort AND prev = 0 AND mrr > 0 THEN mrr ELSE 0 END) AS mrr_reactivation,
       SUM(CASE WHEN prev > 0 AND mrr > prev THEN mrr - prev ELSE 0 END) AS mrr_expansion,
       SUM(CASE WHEN mrr > 0 AND mrr < prev THEN prev - mrr ELSE 0 END) AS mrr_contraction,
       SUM(CASE WHEN prev > 0 AND mrr = 0 THEN prev ELSE 0 END) AS mrr_churn,
       SUM(mrr) AS mrr_end
FROM lagged
GROUP BY month
ORDER BY month;
