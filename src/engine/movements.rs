//! MRR movements: how each customer's MRR changed from one month to the next.
//!
//! Rule (docs/METRICS.md, "Movements"): with prev = MRR(M-1) and cur = MRR(M),
//! from the customer's cohort month on:
//!
//! | movement     | when                         | amount     |
//! |--------------|------------------------------|------------|
//! | new          | M = cohort month             | cur        |
//! | reactivation | M > cohort, prev = 0 < cur   | cur        |
//! | expansion    | 0 < prev < cur               | cur - prev |
//! | contraction  | 0 < cur < prev               | prev - cur |
//! | churn        | prev > 0 = cur               | prev       |
//! | flat         | 0 < prev = cur               | 0          |
//!
//! Only customer-months with MRR > 0 or prev > 0 get a row ([`customer_rows`]):
//! a gap in a customer's active months is a churn in the month after the last
//! active one and a reactivation in the next active month.

/// A customer-month's movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    /// The cohort month.
    New,
    /// Back from zero after the cohort month.
    Reactivation,
    /// MRR went up.
    Expansion,
    /// MRR went down but not to zero.
    Contraction,
    /// MRR went to zero.
    Churn,
    /// MRR unchanged and above zero.
    Flat,
}

impl Movement {
    /// Every movement, in discriminant order.
    pub const ALL: [Movement; 6] = [
        Movement::New,
        Movement::Reactivation,
        Movement::Expansion,
        Movement::Contraction,
        Movement::Churn,
        Movement::Flat,
    ];

    /// The name written in customer_months.movement.
    pub fn name(self) -> &'static str {
        match self {
            Movement::New => "new",
            Movement::Reactivation => "reactivation",
            Movement::Expansion => "expansion",
            Movement::Contraction => "contraction",
            Movement::Churn => "churn",
            Movement::Flat => "flat",
        }
    }
}

/// The movement of one customer-month; `None` when both months are zero (no row).
pub fn classify(is_cohort_month: bool, prev: i64, cur: i64) -> Option<Movement> {
    Some(match (prev, cur) {
        (_, c) if c > 0 && is_cohort_month => Movement::New,
        (0, 0) => return None,
        (0, _) => Movement::Reactivation,
        (_, 0) => Movement::Churn,
        (p, c) if c > p => Movement::Expansion,
        (p, c) if c < p => Movement::Contraction,
        _ => Movement::Flat,
    })
}

/// One customer-month row of the ledger (customer_months without its keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovementRow {
    /// Month index.
    pub month: i32,
    /// MRR in cents.
    pub mrr: i64,
    /// MRR of the month before, in cents.
    pub prev: i64,
    /// The movement.
    pub movement: Movement,
}

/// Appends one customer's movement rows to `out`: a row for each active
/// month, and a churn row in the month after each run of active months while
/// that month is inside the timeline (`last` is the as-of month).
///
/// `active` holds the customer's months with MRR > 0, in order; the first is
/// its cohort month.
pub fn customer_rows(active: &[(i32, i64)], last: i32, out: &mut Vec<MovementRow>) {
    let Some(&(cohort, _)) = active.first() else { return };
    let mut push = |month: i32, mrr: i64, prev: i64| {
        if let Some(movement) = classify(month == cohort, prev, mrr) {
            out.push(MovementRow {
                month,
                mrr,
                prev,
                movement,
            });
        }
    };
    for (i, &(month, mrr)) in active.iter().enumerate() {
        let prev = match i.checked_sub(1).map(|p| active[p]) {
            Some((pm, pv)) if pm == month - 1 => pv,
            _ => 0,
        };
        push(month, mrr, prev);
        let continues = active.get(i + 1).is_some_and(|(next, _)| *next == month + 1);
        if !continues && month < last {
            push(month + 1, 0, mrr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_follows_the_table() {
        use Movement::*;
        assert_eq!(classify(true, 0, 100), Some(New));
        assert_eq!(classify(false, 0, 100), Some(Reactivation));
        assert_eq!(classify(false, 100, 150), Some(Expansion));
        assert_eq!(classify(false, 150, 100), Some(Contraction));
        assert_eq!(classify(false, 100, 0), Some(Churn));
        assert_eq!(classify(false, 100, 100), Some(Flat));
        assert_eq!(classify(false, 0, 0), None);
    }

    fn rows(active: &[(i32, i64)], last: i32) -> Vec<(i32, i64, i64, &'static str)> {
        let mut out = Vec::new();
        customer_rows(active, last, &mut out);
        out.iter()
            .map(|r| (r.month, r.prev, r.mrr, r.movement.name()))
            .collect()
    }

    /// Active Jan–Feb, gone in March, back in April at a higher MRR; the
    /// timeline ends in May, so April's MRR churns in May.
    #[test]
    fn gaps_become_churn_then_reactivation() {
        assert_eq!(
            rows(&[(0, 1000), (1, 1200), (3, 1500)], 4),
            [
                (0, 0, 1000, "new"),
                (1, 1000, 1200, "expansion"),
                (2, 1200, 0, "churn"),
                (3, 0, 1500, "reactivation"),
                (4, 1500, 0, "churn"),
            ]
        );
    }

    #[test]
    fn no_churn_row_past_the_as_of_month() {
        assert_eq!(rows(&[(0, 500)], 0), [(0, 0, 500, "new")]);
        assert_eq!(
            rows(&[(0, 500), (1, 500)], 1),
            [(0, 0, 500, "new"), (1, 500, 500, "flat")]
        );
        assert!(rows(&[], 3).is_empty());
    }
}
