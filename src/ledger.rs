//! The customer-month ledger: every customer's MRR month by month, with its
//! cohort, segment values and movements, as plain arrays.
//!
//! Built in one pass over the counted subscription-month rows: customers get
//! dense ids in the order of their `customer_id` text, rows are bucketed by
//! customer (a counting sort), and each customer's few rows are summed by
//! month. Only customer-months with MRR > 0, and the churn month after each
//! run of them, become ledger rows: a zero month adds nothing to any table.
//! The tables ([`crate::movements`], [`crate::windows`], [`crate::cohorts`])
//! are sums over the ledger into small dense arrays.

use polars::prelude::*;

use crate::month_close::Timeline;
use crate::movements::{classify, Movement};
use crate::snapshots::{segment_column, CENTS, CUSTOMER_ID, MONTH, SUBSCRIPTION_ID};
use crate::{segments, Error, Result};

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
    pub rows: Rows,
    /// Start of each customer's rows in `rows` (one more entry than customers).
    pub starts: Vec<usize>,
}

/// The ledger rows, column by column.
#[derive(Debug, Default)]
pub struct Rows {
    /// Dense customer id.
    pub customer: Vec<u32>,
    /// Month index.
    pub month: Vec<i32>,
    /// MRR in cents.
    pub mrr: Vec<i64>,
    /// MRR of the month before, in cents.
    pub prev: Vec<i64>,
    /// The movement.
    pub movement: Vec<Movement>,
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

    /// Indices of customer `c`'s rows.
    pub fn rows_of(&self, c: usize) -> std::ops::Range<usize> {
        self.starts[c]..self.starts[c + 1]
    }
}

/// Builds the ledger from subscription-month rows with [`CUSTOMER_ID`],
/// [`SUBSCRIPTION_ID`], [`MONTH`], [`CENTS`] and the segment columns.
pub fn build(sub_months: &DataFrame, timeline: Timeline, segment_by: &[String]) -> Result<Ledger> {
    let n = sub_months.height();
    let customer = sub_months.column(CUSTOMER_ID)?.str()?.rechunk();
    let subscription = sub_months.column(SUBSCRIPTION_ID)?.str()?.rechunk();
    let months = sub_months.column(MONTH)?.i32()?.rechunk();
    let cents = sub_months.column(CENTS)?.i64()?.rechunk();
    let months = months.cont_slice()?;
    let cents = cents.cont_slice()?;
    let segment_values: Vec<StringChunked> = segment_by
        .iter()
        .map(|s| Ok(sub_months.column(&segment_column(s))?.str()?.rechunk().into_owned()))
        .collect::<Result<_>>()?;

    // Dense ids in text order: first by appearance, then renumbered.
    let mut ids: PlHashMap<&str, u32> = PlHashMap::default();
    let mut first_seen: Vec<&str> = Vec::new();
    let mut row_ids = Vec::with_capacity(n);
    for name in customer.iter() {
        let name = name.ok_or_else(|| Error::Invariant("null customer_id after validation".into()))?;
        let next = first_seen.len() as u32;
        let id = *ids.entry(name).or_insert_with(|| {
            first_seen.push(name);
            next
        });
        row_ids.push(id);
    }
    let mut order: Vec<u32> = (0..first_seen.len() as u32).collect();
    order.sort_unstable_by(|a, b| first_seen[*a as usize].cmp(first_seen[*b as usize]));
    let mut rank = vec![0_u32; first_seen.len()];
    for (r, id) in order.iter().enumerate() {
        rank[*id as usize] = r as u32;
    }

    // Counting sort of row indices by customer.
    let mut bucket_starts = vec![0_usize; first_seen.len() + 1];
    for id in &row_ids {
        bucket_starts[rank[*id as usize] as usize + 1] += 1;
    }
    for i in 1..bucket_starts.len() {
        bucket_starts[i] += bucket_starts[i - 1];
    }
    let mut fill = bucket_starts.clone();
    let mut by_customer = vec![0_u32; n];
    for (row, id) in row_ids.iter().enumerate() {
        let c = rank[*id as usize] as usize;
        by_customer[fill[c]] = row as u32;
        fill[c] += 1;
    }
    drop(row_ids);

    let mut dictionaries: Vec<segments::Builder> = segment_by.iter().map(|s| segments::Builder::new(s)).collect();
    let mut ledger = Ledger::default();
    ledger.starts.push(0);
    let mut month_sums: Vec<(i32, i64)> = Vec::new();
    let mut raw_codes: Vec<u32> = Vec::new();
    for c in 0..first_seen.len() {
        let mut rows: Vec<u32> = by_customer[bucket_starts[c]..bucket_starts[c + 1]].to_vec();
        rows.sort_unstable_by_key(|r| months[*r as usize]);
        month_sums.clear();
        for r in &rows {
            let (m, v) = (months[*r as usize], cents[*r as usize]);
            match month_sums.last_mut() {
                Some((last, sum)) if *last == m => *sum += v,
                _ => month_sums.push((m, v)),
            }
        }
        let Some(&(cohort, cohort_mrr)) = month_sums.iter().find(|(_, v)| *v > 0) else {
            continue; // never paid: not a customer of any table
        };
        let id = ledger.names.len() as u32;
        ledger.names.push(first_seen[order[c] as usize].to_string());
        ledger.cohort.push(cohort);
        ledger.cohort_mrr.push(cohort_mrr);

        // Segment values: from the highest-MRR subscription of the cohort month.
        let candidates = rows.iter().filter(|r| months[**r as usize] == cohort).map(|r| {
            let r = *r as usize;
            (cents[r], subscription.get(r).unwrap_or(""), r)
        });
        let top = segments::pick(candidates).expect("the cohort month has rows");
        for (s, values) in segment_values.iter().enumerate() {
            raw_codes.push(dictionaries[s].code(values.get(top)));
        }

        // Movements over the active months, plus a churn row after each run.
        let mut prev_month: Option<(i32, i64)> = None;
        let active: Vec<(i32, i64)> = month_sums
            .iter()
            .copied()
            .filter(|(m, v)| *v > 0 && *m >= cohort)
            .collect();
        for (i, &(m, v)) in active.iter().enumerate() {
            let prev = match prev_month {
                Some((pm, pv)) if pm == m - 1 => pv,
                _ => 0,
            };
            push_row(&mut ledger.rows, id, m, v, prev, m == cohort);
            let continues = active.get(i + 1).is_some_and(|(next, _)| *next == m + 1);
            if !continues && m < timeline.last.0 {
                push_row(&mut ledger.rows, id, m + 1, 0, v, false);
            }
            prev_month = Some((m, v));
        }
        ledger.starts.push(ledger.rows.customer.len());
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
    tracing::debug!(
        customers = ledger.customers(),
        rows = ledger.rows.customer.len(),
        "ledger built"
    );
    Ok(ledger)
}

fn push_row(rows: &mut Rows, customer: u32, month: i32, mrr: i64, prev: i64, is_cohort_month: bool) {
    let movement = classify(is_cohort_month, prev, mrr).expect("a ledger row has MRR or previous MRR");
    rows.customer.push(customer);
    rows.month.push(month);
    rows.mrr.push(mrr);
    rows.prev.push(prev);
    rows.movement.push(movement);
}

/// The customer_months table (working types), ordered by month then customer.
pub fn customer_months(ledger: &Ledger, segment_by: &[String]) -> Result<DataFrame> {
    let rows = &ledger.rows;
    // Stable counting sort by month keeps customers in text order within a month.
    let (lo, hi) = match (rows.month.iter().min(), rows.month.iter().max()) {
        (Some(lo), Some(hi)) => (*lo, *hi),
        _ => (0, -1),
    };
    let span = (hi - lo + 1).max(0) as usize;
    let mut starts = vec![0_usize; span + 1];
    for m in &rows.month {
        starts[(m - lo) as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut order = vec![0_usize; rows.month.len()];
    for (i, m) in rows.month.iter().enumerate() {
        let slot = &mut starts[(m - lo) as usize];
        order[*slot] = i;
        *slot += 1;
    }
    let pick_i64 = |v: &Vec<i64>| order.iter().map(|i| v[*i]).collect::<Vec<_>>();
    let mut columns = vec![
        Column::new(
            CUSTOMER_ID.into(),
            order
                .iter()
                .map(|i| ledger.names[rows.customer[*i] as usize].as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            crate::tables::MONTH.into(),
            order.iter().map(|i| rows.month[*i]).collect::<Vec<_>>(),
        ),
        Column::new(
            crate::tables::COHORT_MONTH.into(),
            order
                .iter()
                .map(|i| ledger.cohort[rows.customer[*i] as usize])
                .collect::<Vec<_>>(),
        ),
        Column::new(crate::tables::MRR.into(), pick_i64(&rows.mrr)),
        Column::new(crate::tables::PREV_MRR.into(), pick_i64(&rows.prev)),
        Column::new(
            crate::tables::MOVEMENT.into(),
            order.iter().map(|i| rows.movement[*i].name()).collect::<Vec<_>>(),
        ),
    ];
    for (s, name) in segment_by.iter().enumerate() {
        let values = &ledger.segments[s].values;
        columns.push(Column::new(
            name.as_str().into(),
            order
                .iter()
                .map(|i| values[ledger.code(rows.customer[*i] as usize, s) as usize].as_str())
                .collect::<Vec<_>>(),
        ));
    }
    Ok(DataFrame::new_infer_height(columns)?)
}
