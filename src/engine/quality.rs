//! Data-quality findings: the classic silent errors of subscription
//! exports, reported beside the numbers (the `data_quality` table) without
//! changing them or stopping the run.
//!
//! Rules (docs/METRICS.md, "Data quality"):
//! - `mrr_spike` (warning): a subscription-month whose MRR is at least
//!   [`SPIKE_FACTOR`] times both its previous and its next month's, all three
//!   months active: an annual amount booked in the MRR column. It is filed
//!   under the month after the spike, the first whose data shows it;
//! - `currency_change` (warning): a subscription whose currency differs from
//!   its previous counted month's;
//! - `segment_differs` (info): the first month a customer's highest-MRR
//!   subscription carries another value of a segment than the customer's
//!   fixed one (section 5: segments are fixed for life);
//! - `partial_close_day` (warning): a close day let through the
//!   partial-close check by `--max-close-drop` or `--close-day`;
//! - `unknown_status` (warning): a status that counts its full MRR but is
//!   not a known paying status (`in_trial`, `expired`, `unpaid`, …);
//! - `fx_without_currency` (warning): `--fx-rates` given, but no input file
//!   has a currency column, so every amount is taken as the reporting currency;
//! - `status_partly_missing` (warning): a status column in some files only.
//!
//! Each finding is filed under a month whose data (and earlier data) shows
//! it, so no month's findings depend on later data, and a range run finds
//! what a full run finds.

use polars::prelude::*;

use super::month_close::CloseException;
use super::statuses::StatusSeen;
use crate::snapshots::ColumnsFound;
use crate::tables::MONTH;
use crate::{Month, Result};

/// How many times its neighbours' MRR a month must be to be a spike.
pub const SPIKE_FACTOR: i64 = 8;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Probably wrong data: look at it.
    Warning,
    /// Explains a rule's effect; nothing to fix.
    Info,
}

impl Severity {
    /// The name written in data_quality.severity.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The month it is about (index).
    pub month: i32,
    /// The check that found it.
    pub check: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// The customer, where there is one.
    pub customer_id: Option<String>,
    /// The subscription, where there is one.
    pub subscription_id: Option<String>,
    /// The value found, as text.
    pub value: Option<String>,
    /// A sentence saying what was found and what it means.
    pub message: String,
}

/// One subscription's counted month: month index, cents, currency.
pub type SubscriptionMonth<'a> = (i32, i64, &'a str);

/// A spike in the middle of three consecutive counted months of a
/// subscription: filed under the third, the first whose data shows it.
pub fn spike(customer: &str, subscription: &str, months: [SubscriptionMonth; 3]) -> Option<Finding> {
    let [(pm, prev, _), (m, cur, _), (nm, next, _)] = months;
    let adjacent = pm == m - 1 && nm == m + 1;
    let spike = |other: i64| other > 0 && cur >= other.saturating_mul(SPIKE_FACTOR);
    if !(adjacent && spike(prev) && spike(next)) {
        return None;
    }
    let (c, p, n) = (money(cur), money(prev), money(next));
    Some(subscription_finding(
        customer,
        subscription,
        nm,
        "mrr_spike",
        c.clone(),
        format!(
            "subscription '{subscription}' has MRR {c} in {}, at least {SPIKE_FACTOR}× {p} the month before and {n} the month after: an annual or one-off amount in the MRR column? It counts as expansion, then contraction",
            Month(m)
        ),
    ))
}

/// A subscription whose currency differs from its previous counted month's.
pub fn currency_change(
    customer: &str,
    subscription: &str,
    previous: SubscriptionMonth,
    current: SubscriptionMonth,
) -> Option<Finding> {
    let ((_, _, before), (m, _, after)) = (previous, current);
    if before.trim().eq_ignore_ascii_case(after.trim()) {
        return None;
    }
    Some(subscription_finding(
        customer,
        subscription,
        m,
        "currency_change",
        format!("{before} → {after}"),
        format!(
            "subscription '{subscription}' changes currency from {before} to {after} in {}: its MRR moves with both rates, and at constant currency it is compared in {after}",
            Month(m)
        ),
    ))
}

fn subscription_finding(
    customer: &str,
    subscription: &str,
    month: i32,
    check: &'static str,
    value: String,
    message: String,
) -> Finding {
    Finding {
        month,
        check,
        severity: Severity::Warning,
        customer_id: Some(customer.to_string()),
        subscription_id: Some(subscription.to_string()),
        value: Some(value),
        message,
    }
}

/// The finding for a customer whose top subscription in `month` carries
/// another value of `segment` than the customer's fixed one.
pub fn segment_differs(
    customer: &str,
    subscription: &str,
    month: i32,
    segment: &str,
    fixed: &str,
    found: &str,
    cohort: i32,
) -> Finding {
    Finding {
        month,
        check: "segment_differs",
        severity: Severity::Info,
        customer_id: Some(customer.to_string()),
        subscription_id: Some(subscription.to_string()),
        value: Some(format!("{fixed} → {found}")),
        message: format!(
            "customer '{customer}': its highest-MRR subscription '{subscription}' has {segment}={found} in {}, but the customer stays in {segment}={fixed}, its value in its cohort month {} (segments are fixed for life)",
            Month(month),
            Month(cohort)
        ),
    }
}

/// The findings for close days let through the partial-close check.
pub fn close_findings(exceptions: &[CloseException]) -> Vec<Finding> {
    exceptions
        .iter()
        .map(|e| Finding {
            month: e.month.0,
            check: "partial_close_day",
            severity: Severity::Warning,
            customer_id: None,
            subscription_id: None,
            value: Some(format!(
                "{} on {} vs {} on {}",
                e.close.subscriptions, e.close.day, e.compared.subscriptions, e.compared.day
            )),
            message: format!(
                "{}: closed on {} with {} counted subscriptions against {} on {} ({:.1}% fewer), let through by {}",
                e.month,
                e.close.day,
                e.close.subscriptions,
                e.compared.subscriptions,
                e.compared.day,
                (1.0 - e.close.subscriptions as f64 / e.compared.subscriptions.max(1) as f64) * 100.0,
                e.by
            ),
        })
        .collect()
}

/// The findings for statuses that count but are not known paying statuses.
pub fn status_findings(seen: &[StatusSeen], zero: &[String]) -> Vec<Finding> {
    seen.iter()
        .filter(|s| s.counts && !s.known)
        .map(|s| Finding {
            month: s.first_month,
            check: "unknown_status",
            severity: Severity::Warning,
            customer_id: None,
            subscription_id: None,
            value: Some(s.status.clone()),
            message: format!(
                "status '{}' counts its full MRR ({} close rows in {}, its first month): nrr counts zero only for {}. If '{}' means no revenue, add it to zero_statuses in the config file",
                s.status,
                s.first_month_rows,
                Month(s.first_month),
                zero.join(", "),
                s.status
            ),
        })
        .collect()
}

/// The findings for columns that are silently missing, each filed under
/// the first month whose close-day files (with earlier months') show it.
pub fn column_findings(found: &ColumnsFound, fx_given: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(month) = found.first_month_without_currency.filter(|_| fx_given) {
        out.push(Finding {
            month,
            check: "fx_without_currency",
            severity: Severity::Warning,
            customer_id: None,
            subscription_id: None,
            value: None,
            message: format!(
                "--fx-rates is given but the close-day files of {} have no currency column: their amounts are taken to be in the reporting currency. Map your currency column under [columns] (currency = \"your_column\") if it has another name",
                Month(month)
            ),
        });
    }
    if let Some(month) = found.first_month_status_mixed {
        out.push(Finding {
            month,
            check: "status_partly_missing",
            severity: Severity::Warning,
            customer_id: None,
            subscription_id: None,
            value: None,
            message: format!(
                "some input files have a status column and others none (both by {}): rows without a status count their full MRR, trials and cancellations included",
                Month(month)
            ),
        });
    }
    out
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// The data_quality table (working types).
pub fn table(findings: &[Finding]) -> Result<DataFrame> {
    let text = |f: &dyn Fn(&Finding) -> Option<&str>| -> Vec<Option<&str>> { findings.iter().map(f).collect() };
    Ok(DataFrame::new_infer_height(vec![
        Column::new(MONTH.into(), findings.iter().map(|f| f.month).collect::<Vec<_>>()),
        Column::new("check_name".into(), text(&|f| Some(f.check))),
        Column::new("severity".into(), text(&|f| Some(f.severity.name()))),
        Column::new("customer_id".into(), text(&|f| f.customer_id.as_deref())),
        Column::new("subscription_id".into(), text(&|f| f.subscription_id.as_deref())),
        Column::new("value".into(), text(&|f| f.value.as_deref())),
        Column::new("message".into(), text(&|f| Some(f.message.as_str()))),
    ])?)
}

/// Counts of warnings and infos.
pub fn counts(findings: &[Finding]) -> (usize, usize) {
    let warnings = findings.iter().filter(|f| f.severity == Severity::Warning).count();
    (warnings, findings.len() - warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spikes and currency changes of one subscription's months, in order,
    /// as the month-by-month fold finds them.
    fn findings(months: &[SubscriptionMonth]) -> Vec<Finding> {
        let mut out = Vec::new();
        for w in months.windows(3) {
            out.extend(spike("c1", "s1", [w[0], w[1], w[2]]));
        }
        for w in months.windows(2) {
            out.extend(currency_change("c1", "s1", w[0], w[1]));
        }
        out
    }

    /// An annual price of 1,200.00 booked for one month among 100.00 months.
    #[test]
    fn an_annual_amount_in_the_mrr_column_is_a_spike() {
        let found = findings(&[(0, 10_000, "USD"), (1, 120_000, "USD"), (2, 10_000, "USD")]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].check, found[0].month), ("mrr_spike", 2), "filed when it ends");
        assert_eq!(found[0].value.as_deref(), Some("1200.00"));
        // 7.9× is no spike; nor is a new subscription's first month (no month before).
        assert!(findings(&[(0, 10_000, "USD"), (1, 79_000, "USD"), (2, 10_000, "USD")]).is_empty());
        assert!(findings(&[(1, 120_000, "USD"), (2, 10_000, "USD")]).is_empty());
        // A gap between the months: no spike.
        assert!(findings(&[(0, 10_000, "USD"), (2, 120_000, "USD"), (3, 10_000, "USD")]).is_empty());
    }

    #[test]
    fn a_currency_change_is_found_in_the_month_it_happens() {
        let found = findings(&[(0, 10_000, "EUR"), (1, 10_000, "EUR"), (2, 11_000, "USD")]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].check, found[0].month), ("currency_change", 2));
        assert_eq!(found[0].value.as_deref(), Some("EUR → USD"));
    }
}
