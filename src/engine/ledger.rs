//! The customer-month ledger: every customer's MRR month by month, with its
//! cohort, segment values and movements, as plain arrays.
//!
//! Built in one pass over the counted subscription-month rows: customers get
//! dense ids in the order of their `customer_id` text, rows are bucketed by
//! customer (a counting sort), and each customer's few rows are summed by
//! month. Only customer-months with MRR > 0, and the churn month after each
//! run of them ([`movements::customer_rows`]), become ledger rows: a zero
//! month adds nothing to any table. The table builders (bridge, windows,
//! cohorts) are sums over the ledger into small dense arrays.

use polars::prelude::*;

use super::currency::{AtError, Money};
use super::month_close::Timeline;
use super::movements::{self, ActiveMonth, MovementRow, AT_COHORT, BASES, WINDOWS};
use super::quality;
use super::segments::{self, UNKNOWN};
use crate::snapshots::{segment_column, Sources, CENTS, CURRENCY, CUSTOMER_ID, FILE, MONTH, SUBSCRIPTION_ID};
use crate::{Error, Month, Result};

/// The ledger.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Customer ids (text), index = dense customer id, in text order. Only
    /// customers with a cohort (some month with MRR > 0) are here.
    pub names: Vec<String>,
    /// Cohort month of each customer.
    pub cohort: Vec<i32>,
    /// MRR (cents) of each customer in its cohort month.
    pub cohort_mrr: Vec<i64>,
    /// Segment value codes, `segment_by.len()` per customer.
    pub segment_codes: Vec<u32>,
    /// The segments: name and values (index = code), values in text order.
    pub segments: Vec<segments::Dictionary>,
    /// Ledger rows, ordered by customer then month.
    pub rows: Vec<MovementRow>,
    /// Start of each customer's rows in `rows` (one more entry than customers).
    pub starts: Vec<usize>,
    /// Data-quality findings met while building (spikes, currency changes,
    /// segment values that differ from the fixed ones).
    pub findings: Vec<quality::Finding>,
}

impl Ledger {
    /// Number of customers.
    pub fn customers(&self) -> usize {
        self.names.len()
    }

    /// The segment value code of customer `c` in segment `s`.
    pub fn code(&self, c: usize, s: usize) -> u32 {
        self.segment_codes[c * self.segments.len() + s]
    }

    /// Customer `c`'s rows, in month order.
    pub fn rows_of(&self, c: usize) -> &[MovementRow] {
        &self.rows[self.starts[c]..self.starts[c + 1]]
    }
}

/// One month of a customer's rows: the month, its rows (`start..end` in the
/// customer's sorted rows) and their sum in cents.
struct Group {
    month: i32,
    start: usize,
    end: usize,
    sum: i64,
}

/// Builds the ledger from subscription-month rows with [`CUSTOMER_ID`],
/// [`SUBSCRIPTION_ID`], [`MONTH`], [`CENTS`], [`FILE`] and the segment
/// columns; `money` values the rows at other months' rates.
pub fn build(
    sub_months: &DataFrame,
    money: &Money,
    timeline: Timeline,
    segment_by: &[String],
    sources: &Sources,
) -> Result<Ledger> {
    let money = money.view()?;
    let files = sub_months.column(FILE)?.u32()?;
    let currencies = sub_months.column(CURRENCY)?.str()?.rechunk();
    let currencies = currencies.as_ref();
    let n = sub_months.height();
    let started = std::time::Instant::now();
    // Text columns are read in order or at few rows: no need to rechunk them.
    // Customer ids are read in order; the other text columns by row, which
    // on a many-chunk column (a chunk per file) means a chunk search each
    // time: one chunk of views (the strings stay where they are) is cheaper.
    let customer = sub_months.column(CUSTOMER_ID)?.str()?;
    let subscription = sub_months.column(SUBSCRIPTION_ID)?.str()?.rechunk();
    let subscription = subscription.as_ref();
    let months = sub_months.column(MONTH)?.i32()?.rechunk();
    let cents = sub_months.column(CENTS)?.i64()?.rechunk();
    let months = months.cont_slice()?;
    let cents = cents.cont_slice()?;
    let segment_values: Vec<StringChunked> = segment_by
        .iter()
        .map(|s| Ok(sub_months.column(&segment_column(s))?.str()?.rechunk().into_owned()))
        .collect::<Result<_>>()?;
    let segment_values: Vec<&StringChunked> = segment_values.iter().collect();

    let (row_ids, names) = dense_ids(customer);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        customers = names.len(),
        "customer ids"
    );
    // Counting sort of row indices by customer.
    let mut bucket_starts = vec![0_usize; names.len() + 1];
    for id in &row_ids {
        bucket_starts[*id as usize + 1] += 1;
    }
    for i in 1..bucket_starts.len() {
        bucket_starts[i] += bucket_starts[i - 1];
    }
    let mut fill = bucket_starts.clone();
    let mut by_customer = vec![0_u32; n];
    for (row, id) in row_ids.iter().enumerate() {
        let c = *id as usize;
        by_customer[fill[c]] = row as u32;
        fill[c] += 1;
    }
    drop(row_ids);
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "rows bucketed by customer");

    let mut dictionaries: Vec<segments::Builder> = segment_by.iter().map(|s| segments::Builder::new(s)).collect();
    let mut ledger = Ledger::default();
    ledger.starts.push(0);
    let mut groups: Vec<Group> = Vec::new();
    let mut raw_codes: Vec<u32> = Vec::new();
    let mut active: Vec<ActiveMonth> = Vec::new();
    for c in 0..names.len() {
        let mut rows: Vec<u32> = by_customer[bucket_starts[c]..bucket_starts[c + 1]].to_vec();
        rows.sort_unstable_by_key(|r| months[*r as usize]);
        groups.clear();
        for (i, r) in rows.iter().enumerate() {
            let (m, v) = (months[*r as usize], cents[*r as usize]);
            match groups.last_mut() {
                Some(g) if g.month == m => {
                    g.sum = g.sum.checked_add(v).ok_or_else(|| Error::Overflow {
                        what: format!("the MRR of customer '{}' in {}", names[c], Month(m)),
                    })?;
                    g.end = i + 1;
                }
                _ => groups.push(Group {
                    month: m,
                    start: i,
                    end: i + 1,
                    sum: v,
                }),
            }
        }
        let Some((cohort, cohort_mrr)) = groups.iter().find(|g| g.sum > 0).map(|g| (g.month, g.sum)) else {
            continue; // never paid: not a customer of any table
        };
        ledger.names.push(names[c].to_string());
        ledger.cohort.push(cohort);
        ledger.cohort_mrr.push(cohort_mrr);

        // Segment values: from the highest-MRR subscription of the cohort month.
        let candidates = rows.iter().filter(|r| months[**r as usize] == cohort).map(|r| {
            let r = *r as usize;
            (cents[r], subscription.get(r).unwrap_or(""), r)
        });
        let cohort_top = segments::pick(candidates);
        if let Some(top) = cohort_top {
            for (s, values) in segment_values.iter().enumerate() {
                raw_codes.push(dictionaries[s].code(values.get(top)));
            }
        }
        quality_findings(
            names[c],
            &rows,
            &groups,
            cohort,
            cohort_top,
            Columns {
                months,
                cents,
                subscription,
                currencies,
                segment_values: &segment_values,
                segment_by,
            },
            &mut ledger.findings,
        );

        // Each active month, and its value at the rates of the months it is compared with.
        let active_in = |month: i32| {
            groups
                .binary_search_by_key(&month, |g| g.month)
                .is_ok_and(|i| groups[i].sum > 0)
        };
        // A group's value at several base months' rates, in one pass over
        // its rows: each amount is read once, each row rounded per base.
        let values_at = |g: &Group, bases: &[(usize, i32)], at: &mut [i64; BASES]| -> Result<()> {
            let overflow = |base: i32| Error::Overflow {
                what: format!(
                    "the MRR of customer '{}' in {} at {}'s rates",
                    names[c],
                    Month(g.month),
                    Month(base)
                ),
            };
            for &r in &rows[g.start..g.end] {
                let r = r as usize;
                if money.is_reporting(r) {
                    for &(i, base) in bases {
                        at[i] = at[i].checked_add(cents[r]).ok_or_else(|| overflow(base))?;
                    }
                    continue;
                }
                let fail = |e, base: i32| {
                    let at = Valued {
                        customer: names[c],
                        month: Month(g.month),
                        base: Month(base),
                        row: r,
                    };
                    at.error(e, subscription, files, sources)
                };
                let amount = money.amount(r).map_err(|e| fail(e, bases[0].1))?;
                for &(i, base) in bases {
                    let rate = money.rate(r, base).map_err(|e| fail(e, base))?;
                    let v = amount
                        .times_rate_in_cents(rate)
                        .ok_or_else(|| fail(AtError::TooLarge, base))?;
                    at[i] = at[i].checked_add(v).ok_or_else(|| overflow(base))?;
                }
            }
            Ok(())
        };
        active.clear();
        let mut bases: Vec<(usize, i32)> = Vec::with_capacity(BASES);
        for g in groups.iter().filter(|g| g.sum > 0 && g.month >= cohort) {
            bases.clear();
            for (i, w) in WINDOWS.iter().enumerate() {
                if active_in(g.month - w) {
                    bases.push((i, g.month - w));
                }
            }
            let mut at = [0_i64; BASES];
            if g.month == cohort {
                at[AT_COHORT] = g.sum;
            } else {
                bases.push((AT_COHORT, cohort));
            }
            if !bases.is_empty() {
                values_at(g, &bases, &mut at)?;
            }
            active.push(ActiveMonth {
                month: g.month,
                mrr: g.sum,
                at,
            });
        }
        movements::customer_rows(&active, timeline.last.0, &mut ledger.rows);
        ledger.starts.push(ledger.rows.len());
    }

    // Codes were handed out in order of appearance; renumber in text order.
    let (dictionaries, remaps): (Vec<_>, Vec<_>) = dictionaries.into_iter().map(|b| b.finish()).unzip();
    let width = segment_by.len();
    ledger.segment_codes = raw_codes
        .iter()
        .enumerate()
        .map(|(i, code)| remaps[i % width.max(1)][*code as usize])
        .collect();
    ledger.segments = dictionaries;
    tracing::debug!(customers = ledger.customers(), rows = ledger.rows.len(), "ledger built");
    Ok(ledger)
}

/// The columns the data-quality checks read.
struct Columns<'a> {
    months: &'a [i32],
    cents: &'a [i64],
    subscription: &'a StringChunked,
    currencies: &'a StringChunked,
    segment_values: &'a [&'a StringChunked],
    segment_by: &'a [String],
}

/// One customer's data-quality findings ([`quality`]): spikes and currency
/// changes of each subscription, and the first month its top subscription
/// carries another value of a segment than its fixed one.
fn quality_findings(
    customer: &str,
    rows: &[u32],
    groups: &[Group],
    cohort: i32,
    cohort_top: Option<usize>,
    cols: Columns,
    out: &mut Vec<quality::Finding>,
) {
    let mut by_subscription: Vec<(&str, i32, i64, &str)> = Vec::with_capacity(rows.len());
    by_subscription.extend(rows.iter().map(|r| {
        let r = *r as usize;
        (
            cols.subscription.get(r).unwrap_or(""),
            cols.months[r],
            cols.cents[r],
            cols.currencies.get(r).unwrap_or(""),
        )
    }));
    // Stable: each subscription's months stay in order.
    by_subscription.sort_by(|a, b| a.0.cmp(b.0));
    let mut months: Vec<quality::SubscriptionMonth> = Vec::with_capacity(by_subscription.len());
    for chunk in by_subscription.chunk_by(|a, b| a.0 == b.0) {
        // Fewer than two months hold neither a change nor a spike.
        if chunk.len() < 2 {
            continue;
        }
        months.clear();
        months.extend(chunk.iter().map(|(_, m, c, cur)| (*m, *c, *cur)));
        quality::subscription_findings(customer, chunk[0].0, &months, out);
    }
    if cols.segment_by.is_empty() {
        return;
    }

    let Some(cohort_top) = cohort_top else { return };
    let fixed: Vec<&str> = cols
        .segment_values
        .iter()
        .map(|values| values.get(cohort_top).unwrap_or(UNKNOWN))
        .collect();
    let mut reported = vec![false; cols.segment_by.len()];
    for g in groups.iter().filter(|g| g.sum > 0 && g.month > cohort) {
        if reported.iter().all(|r| *r) {
            break;
        }
        let top = if g.end - g.start == 1 {
            rows[g.start] as usize
        } else {
            let candidates = rows[g.start..g.end].iter().map(|r| {
                let r = *r as usize;
                (cols.cents[r], cols.subscription.get(r).unwrap_or(""), r)
            });
            let Some(top) = segments::pick(candidates) else {
                continue;
            };
            top
        };
        for (s, values) in cols.segment_values.iter().enumerate() {
            let found = values.get(top).unwrap_or(UNKNOWN);
            if !reported[s] && fixed[s] != found {
                reported[s] = true;
                out.push(quality::segment_differs(
                    customer,
                    cols.subscription.get(top).unwrap_or(""),
                    g.month,
                    &cols.segment_by[s],
                    fixed[s],
                    found,
                    cohort,
                ));
            }
        }
    }
}

/// A row valued at a base month's rates: what a failure names.
struct Valued<'a> {
    customer: &'a str,
    month: Month,
    base: Month,
    row: usize,
}

impl Valued<'_> {
    /// The error for a row that cannot be valued at the base month's rates.
    fn error(&self, error: AtError, subscription: &StringChunked, files: &UInt32Chunked, sources: &Sources) -> Error {
        let Valued {
            customer,
            month,
            base,
            row,
        } = *self;
        match error {
            AtError::NoRate(currency) => Error::MissingBaseRate {
                currency,
                base,
                month,
                customer: customer.to_string(),
                subscription_id: subscription.get(row).unwrap_or_default().to_string(),
                path: sources.file(files.get(row)),
            },
            AtError::TooLarge => Error::Overflow {
                what: format!("the MRR of customer '{customer}' in {month} at {base}'s rates"),
            },
        }
    }
}

/// Dense customer ids in text order: each half of the rows is hashed on its
/// own thread, then the two name lists are merged and sorted.
fn dense_ids(customer: &StringChunked) -> (Vec<u32>, Vec<&str>) {
    fn local<'a>(part: impl Iterator<Item = Option<&'a str>>, len: usize) -> (Vec<u32>, Vec<&'a str>) {
        let mut ids: PlHashMap<&str, u32> = PlHashMap::default();
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::with_capacity(len);
        let mut last: Option<(&str, u32)> = None;
        for name in part {
            // Validation rejected null ids before the ledger is built.
            let name = name.unwrap_or_default();
            // Exports usually list a customer's subscriptions together.
            let id = match last {
                Some((prev, id)) if prev == name => id,
                _ => *ids.entry(name).or_insert_with(|| {
                    seen.push(name);
                    seen.len() as u32 - 1
                }),
            };
            last = Some((name, id));
            out.push(id);
        }
        (out, seen)
    }
    let half = customer.len() / 2;
    let (ra, rb) = std::thread::scope(|scope| {
        let first = scope.spawn(|| local(customer.iter().take(half), half));
        let second = local(customer.iter().skip(half), customer.len() - half);
        (first.join(), second)
    });
    let (mut ids_a, names_a) = ra.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let (ids_b, names_b) = rb;
    let mut names: Vec<&str> = names_a.iter().chain(&names_b).copied().collect();
    names.sort_unstable();
    names.dedup();
    let global = |local: &[&str]| -> Vec<u32> {
        local
            .iter()
            .map(|n| names.binary_search(n).unwrap_or_default() as u32)
            .collect()
    };
    let (map_a, map_b) = (global(&names_a), global(&names_b));
    for id in ids_a.iter_mut() {
        *id = map_a[*id as usize];
    }
    ids_a.extend(ids_b.iter().map(|id| map_b[*id as usize]));
    (ids_a, names)
}
