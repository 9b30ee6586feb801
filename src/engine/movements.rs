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

    /// The movement written as `name` in customer_months.
    pub fn parse(name: &str) -> Option<Movement> {
        Movement::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// The movement of one customer-month; `None` when both months are zero (no
/// row). `cur_cc` is the month's MRR at the previous month's rates: a
/// customer active in both months expands or contracts at constant currency
/// (docs/METRICS.md section 2a).
pub fn classify(is_cohort_month: bool, prev: i64, cur: i64, cur_cc: i64) -> Option<Movement> {
    Some(match (prev, cur) {
        (_, c) if c > 0 && is_cohort_month => Movement::New,
        (0, 0) => return None,
        (0, _) => Movement::Reactivation,
        (_, 0) => Movement::Churn,
        (p, _) if cur_cc > p => Movement::Expansion,
        (p, _) if cur_cc < p => Movement::Contraction,
        _ => Movement::Flat,
    })
}

/// How many base months an active month is also valued at: the month before
/// it and the start of each trailing window ([`WINDOWS`]), then the cohort month.
pub const BASES: usize = 4;
/// The trailing windows, in months: `at[i]` of a row is its MRR at the rates
/// of M − `WINDOWS[i]`.
pub const WINDOWS: [i32; 3] = [1, 3, 12];
/// Index in `at` of the MRR at the cohort month's rates.
pub const AT_COHORT: usize = 3;

/// A customer's active month: its MRR, and its amounts at base months' rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveMonth {
    /// Month index.
    pub month: i32,
    /// MRR(c, M) in cents.
    pub mrr: i64,
    /// MRR_at(c, M, B) for B = M − 1, M − 3, M − 12 (where the customer was
    /// active in B, else 0) and B = the cohort month.
    pub at: [i64; BASES],
}

/// One customer-month row (customer_months without its keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovementRow {
    /// Month index.
    pub month: i32,
    /// MRR in cents.
    pub mrr: i64,
    /// MRR of the month before, in cents.
    pub prev: i64,
    /// The month's amounts at base months' rates ([`ActiveMonth::at`]); 0 on churn rows.
    pub at: [i64; BASES],
    /// The movement.
    pub movement: Movement,
}

impl MovementRow {
    /// MRR at the previous month's rates: what expansion and contraction compare with prev.
    pub fn mrr_cc(&self) -> i64 {
        self.at[0]
    }

    /// The FX impact: MRR at actual rates minus MRR at the previous month's
    /// rates, for a customer active in both months; 0 otherwise.
    pub fn fx(&self) -> i64 {
        match self.movement {
            Movement::Expansion | Movement::Contraction | Movement::Flat => self.mrr - self.mrr_cc(),
            _ => 0,
        }
    }
}

/// The FX impact of a customer's row `rows[i]` against the rates of the
/// trailing window's base month M − `WINDOWS[wi]`: MRR at actual rates minus
/// M's amounts at the base month's rates, where the customer is active in
/// both months (a base customer retained); 0 otherwise. `rows` are one
/// customer's rows in month order. Summed over a month's rows it is that
/// window's nrr_summary `fx_mrr` (docs/METRICS.md section 2a).
pub fn window_fx(rows: &[MovementRow], i: usize, wi: usize) -> i64 {
    let row = &rows[i];
    let base = row.month - WINDOWS[wi];
    let in_base = rows[..i]
        .binary_search_by_key(&base, |r| r.month)
        .is_ok_and(|b| rows[b].mrr > 0);
    if row.mrr > 0 && in_base {
        row.mrr - row.at[wi]
    } else {
        0
    }
}

/// The FX impact of an active row against the rates of the customer's
/// cohort month (0 on churn rows): what separates a cohort cell's `nrr` from
/// its `nrr_with_fx`.
pub fn cohort_fx(row: &MovementRow) -> i64 {
    if row.mrr > 0 {
        row.mrr - row.at[AT_COHORT]
    } else {
        0
    }
}

/// Appends one customer's movement rows to `out`: a row for each active
/// month, and a churn row in the month after each run of active months while
/// that month is inside the timeline (`last` is the as-of month).
///
/// `active` holds the customer's months with MRR > 0, in order; the first is
/// its cohort month.
pub fn customer_rows(active: &[ActiveMonth], last: i32, out: &mut Vec<MovementRow>) {
    let Some(cohort) = active.first().map(|a| a.month) else {
        return;
    };
    let mut push = |month: i32, mrr: i64, prev: i64, at: [i64; BASES]| {
        if let Some(movement) = classify(month == cohort, prev, mrr, at[0]) {
            out.push(MovementRow {
                month,
                mrr,
                prev,
                at,
                movement,
            });
        }
    };
    for (i, a) in active.iter().enumerate() {
        let prev = match i.checked_sub(1).map(|p| active[p]) {
            Some(p) if p.month == a.month - 1 => p.mrr,
            _ => 0,
        };
        let mut at = a.at;
        if prev == 0 {
            // No comparison with the month before: nothing to value at its rates.
            at[0] = a.mrr;
        }
        push(a.month, a.mrr, prev, at);
        let continues = active.get(i + 1).is_some_and(|next| next.month == a.month + 1);
        if !continues && a.month < last {
            push(a.month + 1, 0, a.mrr, [0; BASES]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_follows_the_table() {
        use Movement::*;
        assert_eq!(classify(true, 0, 100, 100), Some(New));
        assert_eq!(classify(false, 0, 100, 100), Some(Reactivation));
        assert_eq!(classify(false, 100, 150, 150), Some(Expansion));
        assert_eq!(classify(false, 150, 100, 100), Some(Contraction));
        assert_eq!(classify(false, 100, 0, 0), Some(Churn));
        assert_eq!(classify(false, 100, 100, 100), Some(Flat));
        assert_eq!(classify(false, 0, 0, 0), None);
    }

    /// docs/METRICS.md section 2a: the rate moved, the local amount did not.
    #[test]
    fn a_rate_move_alone_is_flat_with_an_fx_impact() {
        // 100 EUR: 110.00 USD at January's rate, 120.00 at February's.
        assert_eq!(classify(false, 11_000, 12_000, 11_000), Some(Movement::Flat));
        // 200 → 250 EUR: 300.00 at February's rate, 275.00 at January's: expansion 55.00, FX 25.00.
        let mut out = Vec::new();
        let at = |mrr, prev_rates| ActiveMonth {
            month: 0,
            mrr,
            at: [prev_rates, 0, 0, mrr],
        };
        customer_rows(
            &[
                at(22_000, 22_000),
                ActiveMonth {
                    month: 1,
                    ..at(30_000, 27_500)
                },
            ],
            1,
            &mut out,
        );
        assert_eq!(out[1].movement, Movement::Expansion);
        assert_eq!(out[1].mrr_cc() - out[1].prev, 5_500);
        assert_eq!(out[1].fx(), 2_500);
        assert_eq!(out[0].fx(), 0, "no FX impact on a new row");
    }

    fn rows(active: &[(i32, i64)], last: i32) -> Vec<(i32, i64, i64, &'static str)> {
        let active: Vec<ActiveMonth> = active
            .iter()
            .map(|&(month, mrr)| ActiveMonth {
                month,
                mrr,
                at: [mrr; BASES],
            })
            .collect();
        let mut out = Vec::new();
        customer_rows(&active, last, &mut out);
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

    /// A 3-month base needs the customer active three months before: a
    /// reactivated customer has no base, a churn row has no amount.
    #[test]
    fn window_fx_needs_the_base_month_active() {
        let row = |month, mrr, at1| MovementRow {
            month,
            mrr,
            prev: 0,
            at: [mrr, at1, 0, mrr - 7],
            movement: Movement::Flat,
        };
        let rows = [row(0, 1000, 0), row(1, 0, 0), row(3, 1200, 1100), row(4, 1300, 1150)];
        assert_eq!(window_fx(&rows, 2, 1), 100, "active in month 0 and 3");
        assert_eq!(window_fx(&rows, 3, 1), 0, "month 1 is a churn row, not a base");
        assert_eq!(window_fx(&rows, 0, 1), 0);
        assert_eq!(cohort_fx(&rows[2]), 7);
        assert_eq!(cohort_fx(&rows[1]), 0);
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
