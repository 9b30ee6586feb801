-- The customers behind one cell of the cohort matrix (totals). Edit the two values in
-- `cell`. Their mrr adds up to cohort_matrix.mrr for the cell, and the rows with mrr > 0
-- count up to active_customers. For a segment's cell, also filter on that segment's
-- column of customer_months (e.g. AND c.plan = 'growth').
-- Reads: customer_months. Portable SQL.
WITH cell AS (
  SELECT CAST('2023-01-01' AS DATE) AS cohort_month,   -- cell: cohort
         CAST('2023-07-01' AS DATE) AS month            -- cell: month
),
cohort_start AS (
  SELECT c.customer_id, c.mrr AS cohort_month_mrr
  FROM customer_months c JOIN cell ON c.cohort_month = cell.cohort_month AND c.month = cell.cohort_month
)
SELECT c.customer_id,
       c.cohort_month,
       c.month,
       s.cohort_month_mrr,
       c.prev_mrr,
       c.mrr,
       c.movement,
       CASE WHEN c.mrr < s.cohort_month_mrr THEN c.mrr ELSE s.cohort_month_mrr END AS gross_retained_mrr
FROM customer_months c
JOIN cell ON c.cohort_month = cell.cohort_month AND c.month = cell.month
JOIN cohort_start s ON s.customer_id = c.customer_id
ORDER BY c.mrr DESC, c.customer_id;
