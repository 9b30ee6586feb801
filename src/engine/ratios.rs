//! Ratios: NRR, GRR and every other share the tables report.
//!
//! Rule (docs/METRICS.md, sections 6–8): a ratio is a quotient of two sums of
//! integer cents (or counts), computed once in `f64` at the end, and null
//! where the base is 0. Nothing is averaged or multiplied across months.

/// `numerator / denominator`, `None` where the denominator is 0. The
/// numerator may be a sum of sums, so it is taken as `i128`.
pub fn ratio(numerator: impl Into<i128>, denominator: i64) -> Option<f64> {
    let numerator: i128 = numerator.into();
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// NRR from a bridge's parts: (start + expansion − contraction − churn) / start.
pub fn nrr(start: i64, expansion: i64, contraction: i64, churn: i64) -> Option<f64> {
    // In i128: the parts are checked sums, their combination need not fit i64.
    ratio(
        i128::from(start) + i128::from(expansion) - i128::from(contraction) - i128::from(churn),
        start,
    )
}

/// NRR at actual rates: (start + expansion − contraction − churn + fx) / start.
pub fn nrr_with_fx(start: i64, expansion: i64, contraction: i64, churn: i64, fx: i64) -> Option<f64> {
    ratio(
        i128::from(start) + i128::from(expansion) - i128::from(contraction) - i128::from(churn) + i128::from(fx),
        start,
    )
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

    /// docs/METRICS.md section 2a, February: 485 / 480 at constant currency, 524 / 480 with FX.
    #[test]
    fn fx_is_kept_out_of_nrr_and_grr() {
        assert_eq!(nrr(48_000, 5_500, 0, 5_000), Some(485.0 / 480.0));
        assert_eq!(grr(48_000, 0, 5_000), Some(430.0 / 480.0));
        assert_eq!(nrr_with_fx(48_000, 5_500, 0, 5_000, 3_900), Some(524.0 / 480.0));
        assert_eq!(nrr_with_fx(48_000, 5_500, 0, 5_000, 0), nrr(48_000, 5_500, 0, 5_000));
    }

    #[test]
    fn a_zero_base_has_no_ratio() {
        assert_eq!(nrr(0, 10, 0, 0), None);
        assert_eq!(ratio(5, 0), None);
    }
}
