//! Statuses: which snapshot rows count.
//!
//! Rule (docs/METRICS.md, "Month close"): a row whose `status` is one of
//! [`ZERO_MRR_STATUSES`] (case and surrounding spaces ignored) counts 0 and
//! is dropped before any check or conversion; every other status, and a
//! null or missing one, counts its `mrr`.

use polars::prelude::*;

use crate::snapshots::STATUS;
use crate::Result;

/// Statuses whose rows count as zero MRR (compared case-insensitively).
pub const ZERO_MRR_STATUSES: [&str; 6] = [
    "trialing",
    "paused",
    "canceled",
    "cancelled",
    "incomplete",
    "incomplete_expired",
];

/// Whether a row with this status counts (its MRR is used), per the rule on
/// zero-MRR statuses (case and surrounding spaces ignored).
pub fn status_counts(status: Option<&str>) -> bool {
    let Some(status) = status else { return true };
    let status = status.trim();
    !ZERO_MRR_STATUSES.iter().any(|z| z.eq_ignore_ascii_case(status))
}

/// Whether a row counts, as a Polars expression over its status (for scans
/// that should not materialise the rows).
pub fn counts(status: Expr) -> Expr {
    let zero = Series::new("zero".into(), ZERO_MRR_STATUSES);
    status.clone().is_null().or(status
        .str()
        .strip_chars(lit(NULL))
        .str()
        .to_lowercase()
        .is_in(lit(zero).implode(false), false)
        .not())
}

/// The rows of `rows` whose status counts.
pub fn counted(rows: DataFrame) -> Result<DataFrame> {
    let keep: BooleanChunked = {
        // Few distinct statuses: decide each once.
        let mut decided: PlHashMap<Option<&str>, bool> = PlHashMap::default();
        let statuses = rows.column(STATUS)?.str()?;
        statuses
            .iter()
            .map(|s| *decided.entry(s).or_insert_with(|| status_counts(s)))
            .collect()
    };
    if keep.all() {
        return Ok(rows);
    }
    Ok(rows.filter(&keep)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_that_count_zero_ignore_case_and_spaces() {
        assert!(!status_counts(Some(" Canceled ")));
        assert!(!status_counts(Some("TRIALING")));
        assert!(status_counts(Some("past_due")));
        assert!(status_counts(None));
    }

    #[test]
    fn the_expression_agrees_with_the_rule() {
        let statuses = [
            Some("active"),
            Some(" Paused "),
            None,
            Some("CANCELED"),
            Some("past_due"),
        ];
        let frame = df!(STATUS => statuses).unwrap();
        let out = frame.lazy().select([counts(col(STATUS)).alias("c")]).collect().unwrap();
        let got: Vec<bool> = out
            .column("c")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|b| b.unwrap())
            .collect();
        let want: Vec<bool> = statuses.iter().map(|s| status_counts(*s)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn rows_that_count_zero_are_dropped() {
        let rows =
            df!(STATUS => [Some("active"), Some("Paused"), None, Some("canceled")], "n" => [1, 2, 3, 4]).unwrap();
        let kept = counted(rows).unwrap();
        assert_eq!(
            kept.column("n")
                .unwrap()
                .i32()
                .unwrap()
                .into_no_null_iter()
                .collect::<Vec<_>>(),
            [1, 3]
        );
    }
}
