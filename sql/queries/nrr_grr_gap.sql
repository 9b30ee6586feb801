-- Expansion masking churn: the gap between NRR and GRR over trailing 12 months. The gap
-- equals expansion / base exactly. A high NRR with a low GRR means a few expanding
-- customers are hiding many lost ones.
-- Reads: nrr_summary. Portable SQL.
SELECT month,
       segment_name,
       segment_value,
       base_mrr,
       expansion_mrr,
       contraction_mrr + churn_mrr AS lost_mrr,
       nrr,
       grr,
       nrr - grr AS nrr_grr_gap,
       1 - grr AS gross_loss_rate
FROM nrr_summary
WHERE window_months = 12
  AND nrr IS NOT NULL
ORDER BY month, segment_name, segment_value;
