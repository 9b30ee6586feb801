-- The strongest SQL peer: no spine. LAG runs over active customer-months only; a
-- gap means churn in the month after the last active one and reactivation later.
-- Totals only (mrr_movements for segment 'all'). Expects views `snapshots` and `fx_rates`.
WITH close AS (
  SELECT date_trunc('month', snapshot_date) AS month, MAX(snapshot_date) AS close_date
  FROM snapshots GROUP BY 1
),
months AS (
  SELECT month, CAST(ROW_NUMBER() OVER (ORDER BY month) AS INTEGER) AS idx FROM close
),
sub AS (
  SELECT s.customer_id, m.idx,
         FLOOR(CAST(s.mrr AS DECIMAL(38,10)) * CAST(COALESCE(f.rate, 1) AS DECIMAL(38,10)) * 100 + 0.5) AS cents
  FROM snapshots s
  JOIN close c ON s.snapshot_date = c.close_date
  JOIN months m ON m.month = c.month
  LEFT JOIN fx_rates f ON f.month = c.month AND f.currency = s.currency AND s.currency <> 'USD'
  WHERE s.status IS NULL OR lower(s.status) NOT IN ('trialing','paused','canceled','cancelled','incomplete','incomplete_expired')
),
active AS (
  SELECT customer_id, idx, SUM(cents) AS mrr FROM sub GROUP BY 1, 2 HAVING SUM(cents) > 0
),
lagged AS (
  SELECT customer_id, idx, mrr,
         MIN(idx) OVER w AS cohort,
         LAG(idx) OVER w AS prev_idx, LAG(mrr) OVER w AS prev_mrr,
         LEAD(idx) OVER w AS next_idx
  FROM active
  WINDOW w AS (PARTITION BY customer_id ORDER BY idx)
),
rows_ AS (
  SELECT idx, cohort, mrr, CASE WHEN prev_idx = idx - 1 THEN prev_mrr ELSE 0 END AS prev FROM lagged
  UNION ALL
  SELECT idx + 1, cohort, 0, mrr FROM lagged
  WHERE (next_idx IS NULL OR next_idx <> idx + 1) AND idx + 1 <= (SELECT MAX(idx) FROM months)
)
SELECT m.month,
       SUM(prev) AS mrr_start,
       SUM(CASE WHEN r.idx = cohort THEN mrr ELSE 0 END) AS mrr_new,
       SUM(CASE WHEN r.idx > cohort AND prev = 0 AND mrr > 0 THEN mrr ELSE 0 END) AS mrr_reactivation,
       SUM(CASE WHEN prev > 0 AND mrr > prev THEN mrr - prev ELSE 0 END) AS mrr_expansion,
       SUM(CASE WHEN mrr > 0 AND mrr < prev THEN prev - mrr ELSE 0 END) AS mrr_contraction,
       SUM(CASE WHEN mrr = 0 THEN prev ELSE 0 END) AS mrr_churn,
       SUM(mrr) AS mrr_end
FROM rows_ r JOIN months m ON m.idx = r.idx
GROUP BY m.month
ORDER BY m.month;
