//! The customer_months table: the ledger as rows, the audit trail every
//! aggregate can be drilled down to.
//!
//! It is the largest table (a row per customer-month), so it is never built
//! whole: [`CustomerMonths`] holds the ledger and hands out one month's rows
//! at a time, which the writer encodes and lets go.

use polars::prelude::*;

use super::ledger::Ledger;
use super::movements::{cohort_fx, window_fx, Movement};
use crate::snapshots::CUSTOMER_ID;
use crate::tables::{COHORT_MONTH, FX_MRR, FX_MRR_12M, FX_MRR_3M, FX_MRR_COHORT, MONTH, MOVEMENT, MRR, PREV_MRR};
use crate::{Month, Result};

/// customer_months, month by month, from the ledger.
pub struct CustomerMonths {
    ledger: Ledger,
    segment_by: Vec<String>,
    /// The customer of each ledger row.
    customer_of: Vec<u32>,
    /// FX impacts against the 3- and 12-month window bases' rates, per ledger row.
    fx3: Vec<i64>,
    fx12: Vec<i64>,
    /// Ledger rows ordered by month, then customer (text order): a stable
    /// counting sort of the rows, which are in customer order.
    order: Vec<u32>,
    /// First month of `order`, and where each month's rows start in it.
    first: i32,
    starts: Vec<usize>,
}

impl CustomerMonths {
    /// Indexes the ledger by month.
    pub fn new(ledger: Ledger, segment_by: &[String]) -> CustomerMonths {
        let n = ledger.rows.len();
        let (mut customer_of, mut fx3, mut fx12) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for c in 0..ledger.customers() {
            let own = ledger.rows_of(c);
            customer_of.extend(std::iter::repeat_n(c as u32, own.len()));
            fx3.extend((0..own.len()).map(|i| window_fx(own, i, 1)));
            fx12.extend((0..own.len()).map(|i| window_fx(own, i, 2)));
        }
        let rows = &ledger.rows;
        let (first, last) = match (rows.iter().map(|r| r.month).min(), rows.iter().map(|r| r.month).max()) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => (0, -1),
        };
        let span = (last - first + 1).max(0) as usize;
        let mut starts = vec![0_usize; span + 1];
        for r in rows {
            starts[(r.month - first) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut fill = starts.clone();
        let mut order = vec![0_u32; n];
        for (i, r) in rows.iter().enumerate() {
            let slot = &mut fill[(r.month - first) as usize];
            order[*slot] = i as u32;
            *slot += 1;
        }
        CustomerMonths {
            ledger,
            segment_by: segment_by.to_vec(),
            customer_of,
            fx3,
            fx12,
            order,
            first,
            starts,
        }
    }

    /// Rows in all months.
    pub fn rows(&self) -> usize {
        self.order.len()
    }

    /// Customers with a cohort.
    pub fn customers(&self) -> usize {
        self.ledger.customers()
    }

    /// The rows of one month (working types), ordered by customer id.
    pub fn month(&self, month: Month) -> Result<DataFrame> {
        let at = month.0 - self.first;
        let order: &[u32] = if at < 0 || at as usize + 1 >= self.starts.len() {
            &[]
        } else {
            &self.order[self.starts[at as usize]..self.starts[at as usize + 1]]
        };
        self.table(order)
    }

    /// The rows `order` (ledger row indices) as a frame.
    fn table(&self, order: &[u32]) -> Result<DataFrame> {
        let ledger = &self.ledger;
        let rows = &ledger.rows;
        let customer_of = &self.customer_of;
        // Text columns are taken from small dictionaries (names, movements,
        // segment values) by index.
        let by_row = |f: &dyn Fn(usize) -> IdxSize| {
            IdxCa::from_vec("idx".into(), order.iter().map(|i| f(*i as usize)).collect())
        };
        let names = StringChunked::from_iter_values("".into(), ledger.names.iter().map(String::as_str));
        let customer_idx = by_row(&|i| customer_of[i] as IdxSize);
        let movement_names = StringChunked::from_iter_values("".into(), Movement::ALL.iter().map(|m| m.name()));
        let gather = |f: &dyn Fn(usize) -> i64| -> Vec<i64> { order.iter().map(|i| f(*i as usize)).collect() };
        let mut columns = vec![
            names.take(&customer_idx)?.with_name(CUSTOMER_ID.into()).into_column(),
            Column::new(
                MONTH.into(),
                order.iter().map(|i| rows[*i as usize].month).collect::<Vec<_>>(),
            ),
            Column::new(
                COHORT_MONTH.into(),
                order
                    .iter()
                    .map(|i| ledger.cohort[customer_of[*i as usize] as usize])
                    .collect::<Vec<_>>(),
            ),
            Column::new(MRR.into(), gather(&|i| rows[i].mrr)),
            Column::new(PREV_MRR.into(), gather(&|i| rows[i].prev)),
            Column::new(FX_MRR.into(), gather(&|i| rows[i].fx())),
            movement_names
                .take(&by_row(&|i| rows[i].movement as IdxSize))?
                .with_name(MOVEMENT.into())
                .into_column(),
            Column::new(FX_MRR_3M.into(), gather(&|i| self.fx3[i])),
            Column::new(FX_MRR_12M.into(), gather(&|i| self.fx12[i])),
            Column::new(FX_MRR_COHORT.into(), gather(&|i| cohort_fx(&rows[i]))),
        ];
        for (s, name) in self.segment_by.iter().enumerate() {
            let values =
                StringChunked::from_iter_values("".into(), ledger.segments[s].values.iter().map(String::as_str));
            let codes = by_row(&|i| ledger.code(customer_of[i] as usize, s) as IdxSize);
            columns.push(values.take(&codes)?.with_name(name.as_str().into()).into_column());
        }
        Ok(DataFrame::new(order.len(), columns)?)
    }
}
