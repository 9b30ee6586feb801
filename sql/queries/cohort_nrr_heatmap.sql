-- The NRR cohort heat-map, in long form: one row per cohort and month since the
-- cohort, with NRR, GRR and logo retention. A BI tool pivots months_since_cohort
-- into columns. nrr_matrix_wide already holds the pivoted NRR (m00..m36).
-- Reads: cohort_matrix. Portable SQL.
SELECT cohort_month,
       months_since_cohort,
       cohort_customers,
       cohort_mrr,
       active_customers,
       mrr,
       nrr,
       grr,
       logo_retention
FROM cohort_matrix
WHERE segment_name = 'all'        -- or e.g. segment_name = 'plan' AND segment_value = 'growth'
ORDER BY cohort_month, months_since_cohort;
