//! Statuses: which snapshot rows count.
//!
//! Rule (docs/METRICS.md, "Month close"): a row whose `status` is one of the
//! zero statuses (by default [`ZERO_MRR_STATUSES`]; `zero_statuses` in the
//! config file; case and surrounding spaces ignored) counts 0 and is dropped
//! before any check or conversion; every other status, and a null or missing
//! one, counts its `mrr`. Every status seen is reported with its row count,
//! and one that counts but is not a known paying status
//! ([`KNOWN_COUNTING_STATUSES`]) is a data-quality finding.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::snapshots::{MONTH, STATUS};
use crate::Result;

/// Statuses whose rows count as zero MRR by default.
pub const ZERO_MRR_STATUSES: [&str; 6] = [
    "trialing",
    "paused",
    "canceled",
    "cancelled",
    "incomplete",
    "incomplete_expired",
];

/// Statuses that count their MRR and are known to mean a paying subscription.
pub const KNOWN_COUNTING_STATUSES: [&str; 2] = ["active", "past_due"];

/// The default zero statuses, as configured values.
pub fn default_zero_statuses() -> Vec<String> {
    ZERO_MRR_STATUSES.iter().map(|s| s.to_string()).collect()
}

/// A status as compared: trimmed and lower-cased.
fn normalised(status: &str) -> String {
    status.trim().to_lowercase()
}

/// Whether a row with this status counts (its MRR is used).
pub fn status_counts(status: Option<&str>, zero: &[String]) -> bool {
    let Some(status) = status else { return true };
    let status = normalised(status);
    !zero.iter().any(|z| normalised(z) == status)
}

/// Whether a row counts, as a Polars expression over its status (for scans
/// that should not materialise the rows).
pub fn counts(status: Expr, zero: &[String]) -> Expr {
    let zero = Series::new("zero".into(), zero.iter().map(|z| normalised(z)).collect::<Vec<_>>());
    status.clone().is_null().or(status
        .str()
        .strip_chars(lit(NULL))
        .str()
        .to_lowercase()
        .is_in(lit(zero).implode(false), false)
        .not())
}

/// The rows of `rows` whose status counts.
pub fn counted(rows: DataFrame, zero: &[String]) -> Result<DataFrame> {
    let keep: BooleanChunked = {
        // Few distinct statuses: decide each once.
        let mut decided: PlHashMap<Option<&str>, bool> = PlHashMap::default();
        let statuses = rows.column(STATUS)?.str()?;
        statuses
            .iter()
            .map(|s| *decided.entry(s).or_insert_with(|| status_counts(s, zero)))
            .collect()
    };
    if keep.all() {
        return Ok(rows);
    }
    Ok(rows.filter(&keep)?)
}

/// One status value seen on close rows.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusSeen {
    /// The value as written.
    pub status: String,
    /// Close rows with it.
    pub rows: u64,
    /// The first month it appears in, and its rows that month.
    pub first_month: i32,
    /// Rows in that month.
    pub first_month_rows: u64,
    /// Whether it counts its MRR.
    pub counts: bool,
    /// Whether it is a status nrr knows (a zero status or a known paying one).
    pub known: bool,
}

/// Every non-null status of the close rows, with its row counts.
pub fn census(rows: &DataFrame, zero: &[String]) -> Result<Vec<StatusSeen>> {
    let statuses = rows.column(STATUS)?.str()?;
    let months = rows.column(MONTH)?.i32()?;
    // Rows come in long runs of one status and month: count runs, then add
    // each run once.
    let mut runs: PlHashMap<(&str, i32), u64> = PlHashMap::default();
    let mut current: Option<((&str, i32), u64)> = None;
    for (status, month) in statuses.iter().zip(months.iter()) {
        let (Some(status), Some(month)) = (status, month) else {
            continue;
        };
        match &mut current {
            Some((key, n)) if *key == (status, month) => *n += 1,
            _ => {
                if let Some((key, n)) = current.replace(((status, month), 1)) {
                    *runs.entry(key).or_default() += n;
                }
            }
        }
    }
    if let Some((key, n)) = current {
        *runs.entry(key).or_default() += n;
    }
    let mut seen: BTreeMap<&str, (u64, BTreeMap<i32, u64>)> = BTreeMap::new();
    for ((status, month), n) in runs {
        let entry = seen.entry(status).or_default();
        entry.0 += n;
        *entry.1.entry(month).or_default() += n;
    }
    Ok(seen
        .into_iter()
        .map(|(status, (rows, by_month))| {
            let (first_month, first_month_rows) = by_month.into_iter().next().unwrap_or_default();
            let counts = status_counts(Some(status), zero);
            let known = !counts || KNOWN_COUNTING_STATUSES.contains(&normalised(status).as_str());
            StatusSeen {
                status: status.to_string(),
                rows,
                first_month,
                first_month_rows,
                counts,
                known,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_that_count_zero_ignore_case_and_spaces() {
        let zero = default_zero_statuses();
        assert!(!status_counts(Some(" Canceled "), &zero));
        assert!(!status_counts(Some("TRIALING"), &zero));
        assert!(status_counts(Some("past_due"), &zero));
        assert!(status_counts(None, &zero));
        let mine = vec!["In_Trial".to_string()];
        assert!(!status_counts(Some("in_trial"), &mine));
        assert!(status_counts(Some("trialing"), &mine), "the list replaces the default");
    }

    #[test]
    fn the_expression_agrees_with_the_rule() {
        let zero = default_zero_statuses();
        let statuses = [
            Some("active"),
            Some(" Paused "),
            None,
            Some("CANCELED"),
            Some("past_due"),
        ];
        let frame = df!(STATUS => statuses).unwrap();
        let out = frame
            .lazy()
            .select([counts(col(STATUS), &zero).alias("c")])
            .collect()
            .unwrap();
        let got: Vec<bool> = out
            .column("c")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|b| b.unwrap())
            .collect();
        let want: Vec<bool> = statuses.iter().map(|s| status_counts(*s, &zero)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn rows_that_count_zero_are_dropped() {
        let rows =
            df!(STATUS => [Some("active"), Some("Paused"), None, Some("canceled")], "n" => [1, 2, 3, 4]).unwrap();
        let kept = counted(rows, &default_zero_statuses()).unwrap();
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

    /// `in_trial` counts its full MRR unless configured: worth a warning.
    #[test]
    fn the_census_marks_statuses_nrr_does_not_know() {
        let rows = df!(
            STATUS => [Some("active"), Some("in_trial"), Some("in_trial"), Some("trialing"), None],
            MONTH => [5, 6, 7, 5, 5]
        )
        .unwrap();
        let seen = census(&rows, &default_zero_statuses()).unwrap();
        let in_trial = seen.iter().find(|s| s.status == "in_trial").unwrap();
        assert_eq!(
            (in_trial.rows, in_trial.first_month, in_trial.first_month_rows),
            (2, 6, 1)
        );
        assert!(in_trial.counts && !in_trial.known);
        assert!(seen.iter().filter(|s| s.status != "in_trial").all(|s| s.known));
        assert_eq!(seen.len(), 3, "null is no status value");
    }
}
