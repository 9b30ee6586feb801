-- Segments whose trailing-3-month NRR fell the most from one quarter to the next. The
-- latest month is compared with three months earlier, so each side covers its own
-- three months. Segments with no base in either period are left out.
-- Reads: nrr_summary. Portable SQL. DENSE_RANK over months avoids date arithmetic,
-- because every month of the timeline is present.
WITH ranked AS (
  SELECT s.*, DENSE_RANK() OVER (ORDER BY month DESC) AS months_back
  FROM nrr_summary s
  WHERE window_months = 3
),
now_ AS (SELECT * FROM ranked WHERE months_back = 1),
prev AS (SELECT * FROM ranked WHERE months_back = 4)
SELECT n.segment_name,
       n.segment_value,
       p.month AS previous_month,
       n.month AS latest_month,
       p.nrr AS previous_nrr,
       n.nrr AS latest_nrr,
       n.nrr - p.nrr AS nrr_change,
       n.base_mrr AS latest_base_mrr
FROM now_ n
JOIN prev p ON p.segment_name = n.segment_name AND p.segment_value = n.segment_value
WHERE n.segment_name <> 'all'
  AND n.nrr IS NOT NULL AND p.nrr IS NOT NULL
ORDER BY nrr_change ASC, n.segment_name, n.segment_value;
