//! Ratios: NRR, GRR and every other share the tables report.
//!
//! Rule (docs/METRICS.md, sections 6–8): a ratio is a quotient of two sums of
//! integer cents (or counts), computed once in `f64` at the end, and null
//! where the base is 0. Nothing is averaged or multiplied across months.

/// `numerator / denominator`, `None` where the denominator is 0.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// NRR from a bridge's parts: (start + expansion − contraction − churn) / start.
pub fn nrr(start: i64, expansion: i64, contraction: i64, churn: i64) -> Option<f64> {
    // In i128: the parts are checked sums, their combination need not fit i64.
    let retained = i128::from(start) + i128::from(expansion) - i128::from(contraction) - i128::from(churn);
    (start > 0).then(|| retained as f64 / start as f64)
}

/// GRR from a bridge's parts: (start − contraction − churn) / start.
pub fn grr(start: i64, contraction: i64, churn: i64) -> Option<f64> {
    nrr(start, 0, contraction, churn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook examples of docs/METRICS.md section 6 (amounts in dollars, here in cents).
    #[test]
    fn textbook_examples() {
        let k = 100_000; // $1,000 in cents
        assert_eq!(nrr(1_000 * k, 80 * k, 20 * k, 30 * k), Some(1.03));
        assert_eq!(grr(1_000 * k, 20 * k, 30 * k), Some(0.95));
        assert_eq!(nrr(1_000 * k, 200 * k, 50 * k, 100 * k), Some(1.05));
        assert_eq!(grr(1_000 * k, 50 * k, 100 * k), Some(0.85));
        assert_eq!(nrr(10_000 * k, 1_500 * k, 300 * k, 700 * k), Some(1.05));
        assert_eq!(grr(10_000 * k, 300 * k, 700 * k), Some(0.9));
    }

    #[test]
    fn a_zero_base_has_no_ratio() {
        assert_eq!(nrr(0, 10, 0, 0), None);
        assert_eq!(ratio(5, 0), None);
    }
}
