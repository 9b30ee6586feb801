//! The month-at-a-time engine: each month's close rows are checked,
//! converted and folded into per-customer state, and every table's sums for
//! that month are added, before the next month is read. Nothing
//! proportional to the snapshot rows outlives its month.
//!
//! What a customer carries from month to month (docs/METRICS.md sections
//! 2a–8 need no more): its cohort month and cohort MRR, its fixed segment
//! values, its MRR in the last 13 months (the month before and the bases of
//! the 3- and 12-month windows), and per subscription the last two counted
//! months (for the data-quality checks). A month's movement, window and
//! cohort contributions all follow from that state and the month's rows:
//! - its MRR at the rates of M−1, M−3, M−12 and the cohort month is computed
//!   from the month's own amounts ([`super::currency`]);
//! - its movement compares it with M−1 ([`super::movements::classify`]);
//! - the windows ending at M compare it with M−w ([`super::windows`]);
//! - its cohort cell is (cohort month, M) ([`super::cohorts`]).
//!
//! The month's customer_months rows leave as a frame, in customer-id text
//! order, for the writer to encode. At the end, the segment values' text
//! order is known and the sums become the aggregate tables.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::accumulate::Growing;
use super::currency::{self, AtError, FxRates, MoneyView};
use super::keys::Keys;
use super::month_close::{DayTotals, Timeline};
use super::movements::{classify, Movement, MovementRow, AT_COHORT, BASES, WINDOWS};
use super::quality::{self, Finding, SubscriptionMonth};
use super::segments::{self, Builder, Dictionary, UNKNOWN};
use super::statuses::{self, StatusSeen};
use super::{bridge, cohorts, validate, windows, EngineOptions};
use crate::snapshots::{segment_column, Sources, CURRENCY, CUSTOMER_ID, FILE, MRR, SUBSCRIPTION_ID};
use crate::tables::{
    COHORT_MONTH, FX_MRR, FX_MRR_12M, FX_MRR_3M, FX_MRR_COHORT, MONTH, MOVEMENT, MRR as MRR_OUT, PREV_MRR,
};
use crate::{Error, Month, Result};

/// Months of MRR a customer's state holds: the month and the 12 before it.
const RING: usize = 13;
/// No cohort yet.
const NONE: i32 = i32::MIN;
/// Not active this month.
const ABSENT: u32 = u32::MAX;

/// A subscription's last counted months (oldest first), for the quality checks.
#[derive(Clone, Copy, Default)]
struct Seen {
    months: [(i32, i64, u32); 2],
    len: u8,
}

/// The state folded so far, and the sums of every table.
pub struct Fold<'a> {
    timeline: Timeline,
    fx: Option<&'a FxRates>,
    opts: &'a EngineOptions,
    sources: &'a Sources,
    // Customers, by dense id in order of appearance.
    ids: PlHashMap<String, u32>,
    names: Vec<String>,
    cohort: Vec<i32>,
    cohort_mrr: Vec<i64>,
    /// Raw segment codes, `segment_by.len()` per customer (set at its cohort).
    codes: Vec<u32>,
    /// Segments already reported as differing from the fixed value (bit per segment).
    reported: Vec<u64>,
    /// MRR by month modulo [`RING`] (0: inactive).
    ring: Vec<[i64; RING]>,
    /// Customers with a cohort, in customer-id text order.
    sorted: Vec<u32>,
    /// Findings of customers without a cohort yet: kept if they ever pay.
    pending: PlHashMap<u32, Vec<Finding>>,
    /// Each customer's subscriptions (a customer has few: a list beats a map).
    subscriptions: Vec<Vec<(Box<str>, Seen)>>,
    currencies: Vec<String>,
    currency_codes: PlHashMap<String, u32>,
    segments: Vec<Builder>,
    /// Raw key of each (segment, raw code); key 0 is the totals.
    raw_keys: Vec<Vec<usize>>,
    /// Per raw key: (segment, raw code) and its first month (earliest cohort).
    key_of_raw: Vec<(usize, u32)>,
    first_of_raw: Vec<i32>,
    bridge: Growing<15>,
    windows: Growing<9>,
    sizes: Growing<2>,
    cohorts: Growing<9>,
    /// The findings, the statuses seen and each close day's totals.
    pub findings: Vec<Finding>,
    statuses: BTreeMap<String, StatusSeen>,
    /// Each close day's counted subscriptions and MRR.
    pub close_totals: BTreeMap<Month, DayTotals>,
    /// The most snapshot rows held at once (one month's), and all rows folded.
    pub rows_held_max: usize,
    /// Close rows folded.
    pub rows_folded: usize,
    /// customer_months rows handed out.
    pub customer_month_rows: usize,
    /// The first failure to value a month at a base month's rates.
    pub deferred: Option<Error>,
    // Per-month scratch, reused.
    local: Vec<u32>,
    position: Vec<u32>,
}

/// What the fold leaves for the tables.
pub struct Folded {
    /// The keys, in their final order.
    pub keys: Keys,
    /// mrr_movements sums.
    pub bridge: super::accumulate::Sums<15>,
    /// nrr_summary sums.
    pub windows: super::accumulate::Sums<9>,
    /// cohort_matrix sizes and sums.
    pub sizes: super::accumulate::Sums<2>,
    /// cohort_matrix sums.
    pub cohorts: super::accumulate::Sums<9>,
    /// Statuses seen, in text order.
    pub statuses: Vec<StatusSeen>,
    /// Customers with a cohort.
    pub customers: usize,
}

impl<'a> Fold<'a> {
    /// An empty fold over `timeline`.
    pub fn new(timeline: Timeline, fx: Option<&'a FxRates>, opts: &'a EngineOptions, sources: &'a Sources) -> Self {
        let months = timeline.len();
        Fold {
            timeline,
            fx,
            opts,
            sources,
            ids: PlHashMap::default(),
            names: Vec::new(),
            cohort: Vec::new(),
            cohort_mrr: Vec::new(),
            codes: Vec::new(),
            reported: Vec::new(),
            ring: Vec::new(),
            sorted: Vec::new(),
            pending: PlHashMap::default(),
            subscriptions: Vec::new(),
            currencies: Vec::new(),
            currency_codes: PlHashMap::default(),
            segments: opts.segment_by.iter().map(|s| Builder::new(s)).collect(),
            raw_keys: vec![Vec::new(); opts.segment_by.len()],
            key_of_raw: vec![(usize::MAX, 0)],
            first_of_raw: vec![timeline.first.0],
            bridge: Growing::new(months),
            windows: Growing::new(WINDOWS.len() * months),
            sizes: Growing::new(months),
            cohorts: Growing::new(months * months),
            findings: Vec::new(),
            statuses: BTreeMap::new(),
            close_totals: BTreeMap::new(),
            rows_held_max: 0,
            rows_folded: 0,
            customer_month_rows: 0,
            deferred: None,
            local: Vec::new(),
            position: Vec::new(),
        }
    }

    fn width(&self) -> usize {
        self.opts.segment_by.len()
    }

    /// Folds month `month`'s close rows (canonical columns, [`crate::snapshots::MONTH`]
    /// added) and returns its customer_months rows (working types).
    pub fn month(&mut self, month: Month, rows: DataFrame, close_day: chrono::NaiveDate) -> Result<DataFrame> {
        self.rows_held_max = self.rows_held_max.max(rows.height());
        self.rows_folded += rows.height();
        let zero = &self.opts.zero_statuses;
        for seen in statuses::census(&rows, zero)? {
            self.statuses
                .entry(seen.status.clone())
                .and_modify(|s| s.rows += seen.rows)
                .or_insert(seen);
        }
        let mut rows = statuses::counted(rows, zero)?;
        // The checks and the conversion read the same rows: run them side by side.
        let (checked, cents) = std::thread::scope(|scope| {
            let check = scope.spawn(|| validate::validate(&rows, self.sources));
            let cents = currency::row_cents(&rows, self.fx, &self.opts.reporting_currency, self.sources);
            (check.join(), cents)
        });
        checked.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let mrr_total: f64 = rows.column(MRR)?.cast(&DataType::Float64)?.f64()?.sum().unwrap_or(0.0);
        self.close_totals.insert(
            month,
            DayTotals {
                day: close_day,
                subscriptions: rows.height() as u64,
                mrr: mrr_total,
            },
        );
        let (cents, money) = cents?;
        rows.with_column(cents.into_column())?;
        let money = money.view()?;
        self.fold(month, &rows, &money)
    }

    fn customer(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        self.cohort.push(NONE);
        self.cohort_mrr.push(0);
        self.codes.extend(std::iter::repeat_n(0, self.width()));
        self.reported.push(0);
        self.ring.push([0; RING]);
        self.subscriptions.push(Vec::new());
        id
    }

    fn currency(&mut self, raw: &str) -> u32 {
        if let Some(code) = self.currency_codes.get(raw) {
            return *code;
        }
        let code = self.currencies.len() as u32;
        self.currency_codes.insert(raw.to_string(), code);
        self.currencies.push(raw.to_string());
        code
    }

    /// MRR of customer `c` in `month`, 0 outside the timeline or the ring.
    #[inline]
    fn mrr_in(&self, c: usize, month: i32) -> i64 {
        if month < self.timeline.first.0 {
            return 0;
        }
        // Months from the timeline's first are never negative here.
        self.ring[c][((month - self.timeline.first.0) as usize) % RING]
    }

    /// The raw key of (segment, raw code), made on first sight.
    fn raw_key(&mut self, s: usize, code: u32) -> usize {
        let keys = &mut self.raw_keys[s];
        if keys.len() <= code as usize {
            keys.resize(code as usize + 1, usize::MAX);
        }
        if keys[code as usize] == usize::MAX {
            keys[code as usize] = self.key_of_raw.len();
            self.key_of_raw.push((s, code));
            self.first_of_raw.push(i32::MAX);
        }
        keys[code as usize]
    }

    fn keys_of(&self, c: usize, out: &mut Vec<usize>) {
        out.clear();
        out.push(0);
        let w = self.width();
        for s in 0..w {
            out.push(self.raw_keys[s][self.codes[c * w + s] as usize]);
        }
    }

    fn fold(&mut self, month: Month, rows: &DataFrame, money: &MoneyView) -> Result<DataFrame> {
        let m = month.0;
        let first = self.timeline.first.0;
        let months = self.timeline.len();
        let mi = (m - first) as usize;
        let customer = rows.column(CUSTOMER_ID)?.str()?.rechunk();
        let subscription = rows.column(SUBSCRIPTION_ID)?.str()?.rechunk();
        let currencies = rows.column(CURRENCY)?.str()?.rechunk();
        let files = rows.column(FILE)?.u32()?.rechunk();
        let cents = rows.column(crate::snapshots::CENTS)?.i64()?.rechunk();
        let cents = cents.cont_slice()?;
        let segment_values: Vec<StringChunked> = self
            .opts
            .segment_by
            .iter()
            .map(|s| Ok(rows.column(&segment_column(s))?.str()?.rechunk().into_owned()))
            .collect::<Result<_>>()?;

        // Rows by customer: dense ids, then a counting sort over the month's customers.
        if self.ids.capacity() < self.ids.len() + rows.height() {
            // Grow in large steps: fewer rehashes of a map of millions.
            self.ids.reserve(rows.height());
        }
        let mut row_ids = Vec::with_capacity(rows.height());
        let mut last: Option<(&str, u32)> = None;
        for name in customer.iter() {
            // Validation rejected null ids.
            let name = name.unwrap_or_default();
            let id = match last {
                Some((prev, id)) if prev == name => id,
                _ => self.customer(name),
            };
            last = Some((name, id));
            row_ids.push(id);
        }
        self.local.resize(self.names.len(), ABSENT);
        let mut present: Vec<u32> = Vec::new();
        for id in &row_ids {
            if self.local[*id as usize] == ABSENT {
                self.local[*id as usize] = present.len() as u32;
                present.push(*id);
            }
        }
        let mut starts = vec![0_usize; present.len() + 1];
        for id in &row_ids {
            starts[self.local[*id as usize] as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut fill = starts.clone();
        let mut by_customer = vec![0_u32; row_ids.len()];
        for (row, id) in row_ids.iter().enumerate() {
            let slot = &mut fill[self.local[*id as usize] as usize];
            by_customer[*slot] = row as u32;
            *slot += 1;
        }
        for id in &present {
            self.local[*id as usize] = ABSENT;
        }
        drop(row_ids);

        // Each customer of the month: its MRR, cohort, segments, quality
        // checks and its amounts at the base months' rates.
        self.position.resize(self.names.len(), ABSENT);
        let mut active: Vec<(i64, [i64; BASES])> = Vec::new();
        let mut newcomers: Vec<u32> = Vec::new();
        let mut ks = Vec::new();
        for (l, &c32) in present.iter().enumerate() {
            let c = c32 as usize;
            let own = &by_customer[starts[l]..starts[l + 1]];
            let mut sum: i64 = 0;
            for r in own {
                sum = sum.checked_add(cents[*r as usize]).ok_or_else(|| Error::Overflow {
                    what: format!("the MRR of customer '{}' in {month}", self.names[c]),
                })?;
            }
            let pick = |rows: &[u32]| {
                segments::pick(rows.iter().map(|r| {
                    let r = *r as usize;
                    (cents[r], subscription.get(r).unwrap_or(""), r)
                }))
            };
            let mut month_findings = Vec::new();
            if sum > 0 && self.cohort[c] == NONE {
                self.cohort[c] = m;
                self.cohort_mrr[c] = sum;
                let top = pick(own);
                let w = self.width();
                for (s, values) in segment_values.iter().enumerate() {
                    let value = top.and_then(|t| values.get(t));
                    let code = self.segments[s].code(value);
                    self.codes[c * w + s] = code;
                    let key = self.raw_key(s, code);
                    self.first_of_raw[key] = self.first_of_raw[key].min(m);
                }
                newcomers.push(c32);
                self.keys_of(c, &mut ks);
                self.sizes.add(mi, &ks, &[1, sum]).map_err(|_| Error::Overflow {
                    what: format!("the cohort_matrix sums of cohort {month}"),
                })?;
                if let Some(earlier) = self.pending.remove(&c32) {
                    self.findings.extend(earlier);
                }
            } else if sum > 0 && m > self.cohort[c] {
                self.segment_differs(c, own, m, &pick, &subscription, &segment_values, &mut month_findings);
            }
            self.subscription_checks(c32, own, m, cents, &subscription, &currencies, &mut month_findings);
            if self.cohort[c] == NONE {
                if !month_findings.is_empty() {
                    self.pending.entry(c32).or_default().extend(month_findings);
                }
            } else {
                self.findings.extend(month_findings);
            }
            if sum <= 0 {
                continue;
            }
            let cohort = self.cohort[c];
            let mut bases: Vec<(usize, i32)> = Vec::with_capacity(BASES);
            for (i, w) in WINDOWS.iter().enumerate() {
                if self.mrr_in(c, m - w) > 0 {
                    bases.push((i, m - w));
                }
            }
            let mut at = [0_i64; BASES];
            if m == cohort {
                at[AT_COHORT] = sum;
            } else {
                bases.push((AT_COHORT, cohort));
            }
            if !bases.is_empty() {
                let valued = Valued {
                    customer: &self.names[c],
                    month,
                    rows: own,
                    cents,
                    subscription: &subscription,
                    files: &files,
                    sources: self.sources,
                };
                if let Err(e) = valued.at(money, &bases, &mut at) {
                    // Reported after every month's own checks, as a whole-input
                    // engine would: a missing rate of a month itself comes first.
                    self.deferred.get_or_insert(e);
                }
            }
            self.position[c] = active.len() as u32;
            active.push((sum, at));
        }

        // Newcomers join the text-ordered customer list.
        if !newcomers.is_empty() {
            let names = &self.names;
            newcomers.sort_unstable_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
            let mut merged = Vec::with_capacity(self.sorted.len() + newcomers.len());
            let mut rest = &self.sorted[..];
            for (i, n) in newcomers.iter().enumerate() {
                if rest.last().is_none_or(|l| names[*l as usize] < names[*n as usize]) {
                    // Ids handed out in order: the usual case, every newcomer after the rest.
                    merged.extend_from_slice(rest);
                    merged.extend_from_slice(&newcomers[i..]);
                    rest = &[];
                    break;
                }
                let at = rest.partition_point(|o| names[*o as usize] < names[*n as usize]);
                merged.extend_from_slice(&rest[..at]);
                merged.push(*n);
                rest = &rest[at..];
            }
            merged.extend_from_slice(rest);
            self.sorted = merged;
        }

        // Every customer with a cohort: its movement, windows and cohort cell.
        let slot = mi % RING;
        let mut out = MonthRows::default();
        let sorted = std::mem::take(&mut self.sorted);
        for &c32 in &sorted {
            let c = c32 as usize;
            let prev = self.mrr_in(c, m - 1);
            let (cur, at) = match self.position[c] {
                ABSENT => (0, [0; BASES]),
                p => active[p as usize],
            };
            self.position[c] = ABSENT;
            let cohort = self.cohort[c];
            self.keys_of(c, &mut ks);
            for (wi, w) in WINDOWS.iter().enumerate() {
                let base = self.mrr_in(c, m - w);
                if base > 0 {
                    let cur_cc = if cur > 0 { at[wi] } else { 0 };
                    self.windows
                        .add(
                            wi * months + mi,
                            &ks,
                            &windows::contribution(base, cur, if cur > 0 { cur_cc } else { 0 }),
                        )
                        .map_err(|_| Error::Overflow {
                            what: format!("the nrr_summary sums of {month} ({w}-month window)"),
                        })?;
                }
            }
            let row = if cur > 0 {
                let mut at = at;
                if prev == 0 {
                    // No comparison with the month before: nothing to value at its rates.
                    at[0] = cur;
                }
                classify(m == cohort, prev, cur, at[0]).map(|movement| MovementRow {
                    month: m,
                    mrr: cur,
                    prev,
                    at,
                    movement,
                })
            } else if prev > 0 {
                Some(MovementRow {
                    month: m,
                    mrr: 0,
                    prev,
                    at: [0; BASES],
                    movement: Movement::Churn,
                })
            } else {
                None
            };
            self.ring[c][slot] = cur;
            let Some(row) = row else { continue };
            self.bridge
                .add(mi, &ks, &bridge::contribution(&row))
                .map_err(|_| Error::Overflow {
                    what: format!("the mrr_movements sums of {month}"),
                })?;
            let ci = (cohort - first) as usize;
            self.cohorts
                .add(ci * months + mi, &ks, &cohorts::contribution(&row, self.cohort_mrr[c]))
                .map_err(|_| Error::Overflow {
                    what: format!("the cohort_matrix sums of cohort {}", Month(cohort)),
                })?;
            let fx_in = |w: i32, wi: usize| {
                if cur > 0 && self.mrr_in(c, m - w) > 0 {
                    cur - row.at[wi]
                } else {
                    0
                }
            };
            out.push(c32, &row, fx_in(3, 1), fx_in(12, 2), cohort);
        }
        self.sorted = sorted;
        self.customer_month_rows += out.customers.len();
        out.frame(self, month)
    }

    /// The segment_differs finding: the first month after the cohort month
    /// whose highest-MRR subscription carries another value of a segment.
    #[allow(clippy::too_many_arguments)]
    fn segment_differs(
        &mut self,
        c: usize,
        own: &[u32],
        m: i32,
        pick: &dyn Fn(&[u32]) -> Option<usize>,
        subscription: &StringChunked,
        segment_values: &[StringChunked],
        out: &mut Vec<Finding>,
    ) {
        let w = self.width();
        if w == 0 || self.reported[c].count_ones() as usize >= w {
            return;
        }
        let top = if own.len() == 1 {
            Some(own[0] as usize)
        } else {
            pick(own)
        };
        let Some(top) = top else { return };
        for (s, values) in segment_values.iter().enumerate() {
            if self.reported[c] & (1 << s) != 0 {
                continue;
            }
            let fixed = self.segments[s].value(self.codes[c * w + s]);
            let found = values.get(top).unwrap_or(UNKNOWN);
            if fixed != found {
                self.reported[c] |= 1 << s;
                out.push(quality::segment_differs(
                    &self.names[c],
                    subscription.get(top).unwrap_or(""),
                    m,
                    &self.opts.segment_by[s],
                    fixed,
                    found,
                    self.cohort[c],
                ));
            }
        }
    }

    /// Spikes and currency changes, from each subscription's last two counted months.
    #[allow(clippy::too_many_arguments)]
    fn subscription_checks(
        &mut self,
        c: u32,
        own: &[u32],
        m: i32,
        cents: &[i64],
        subscription: &StringChunked,
        currencies: &StringChunked,
        out: &mut Vec<Finding>,
    ) {
        let mut last_currency: Option<(&str, u32)> = None;
        for r in own {
            let r = *r as usize;
            let sub = subscription.get(r).unwrap_or("");
            let raw = currencies.get(r).unwrap_or("");
            let code = match last_currency {
                Some((text, code)) if text == raw => code,
                _ => self.currency(raw),
            };
            last_currency = Some((raw, code));
            let now = (m, cents[r], code);
            let list = &mut self.subscriptions[c as usize];
            let at = match list.iter().position(|(s, _)| &**s == sub) {
                Some(at) => at,
                None => {
                    list.push((sub.into(), Seen::default()));
                    list.len() - 1
                }
            };
            let seen = &mut list[at].1;
            let before = *seen;
            if before.len == 2 {
                seen.months = [before.months[1], now];
            } else {
                seen.months[before.len as usize] = now;
                seen.len += 1;
            }
            let name = &self.names[c as usize];
            let text = |o: (i32, i64, u32)| -> SubscriptionMonth { (o.0, o.1, self.currencies[o.2 as usize].as_str()) };
            if before.len >= 1 {
                let previous = before.months[before.len as usize - 1];
                // The same raw text is never a change: only compare different texts.
                if previous.2 != now.2 {
                    out.extend(quality::currency_change(name, sub, text(previous), text(now)));
                }
            }
            if before.len == 2 {
                out.extend(quality::spike(
                    name,
                    sub,
                    [text(before.months[0]), text(before.months[1]), text(now)],
                ));
            }
        }
    }

    /// The sums renumbered into the keys' final (text) order.
    pub fn finish(self) -> Folded {
        let (dictionaries, remaps): (Vec<Dictionary>, Vec<Vec<u32>>) =
            self.segments.into_iter().map(|b| b.finish()).unzip();
        let mut first_final = vec![i32::MAX; 1 + dictionaries.iter().map(|d| d.values.len()).sum::<usize>()];
        let mut offsets = Vec::with_capacity(dictionaries.len());
        let mut next = 1;
        for d in &dictionaries {
            offsets.push(next);
            next += d.values.len();
        }
        let order: Vec<usize> = self
            .key_of_raw
            .iter()
            .enumerate()
            .map(|(k, (s, code))| {
                if k == 0 {
                    0
                } else {
                    offsets[*s] + remaps[*s][*code as usize] as usize
                }
            })
            .collect();
        for (k, f) in order.iter().zip(&self.first_of_raw) {
            first_final[*k] = first_final[*k].min(*f);
        }
        let keys = Keys::new(&dictionaries, first_final, self.timeline);
        let n = keys.len();
        Folded {
            bridge: self.bridge.into_sums(&order, n),
            windows: self.windows.into_sums(&order, n),
            sizes: self.sizes.into_sums(&order, n),
            cohorts: self.cohorts.into_sums(&order, n),
            keys,
            statuses: self.statuses.into_values().collect(),
            customers: self.sorted.len(),
        }
    }
}

/// A customer's rows of one month, valued at base months' rates.
struct Valued<'a> {
    customer: &'a str,
    month: Month,
    rows: &'a [u32],
    cents: &'a [i64],
    subscription: &'a StringChunked,
    files: &'a UInt32Chunked,
    sources: &'a Sources,
}

impl Valued<'_> {
    /// Adds the rows' value at each base's rates to `at`, each amount read
    /// once and each row rounded per base.
    fn at(&self, money: &MoneyView, bases: &[(usize, i32)], at: &mut [i64; BASES]) -> Result<()> {
        let overflow = |base: i32| Error::Overflow {
            what: format!(
                "the MRR of customer '{}' in {} at {}'s rates",
                self.customer,
                self.month,
                Month(base)
            ),
        };
        for &r in self.rows {
            let r = r as usize;
            if money.is_reporting(r) {
                for &(i, base) in bases {
                    at[i] = at[i].checked_add(self.cents[r]).ok_or_else(|| overflow(base))?;
                }
                continue;
            }
            let amount = money.amount(r).map_err(|e| self.error(e, r, bases[0].1))?;
            for &(i, base) in bases {
                let rate = money.rate(r, base).map_err(|e| self.error(e, r, base))?;
                let v = amount
                    .times_rate_in_cents(rate)
                    .ok_or_else(|| self.error(AtError::TooLarge, r, base))?;
                at[i] = at[i].checked_add(v).ok_or_else(|| overflow(base))?;
            }
        }
        Ok(())
    }

    fn error(&self, error: AtError, row: usize, base: i32) -> Error {
        let base = Month(base);
        match error {
            AtError::NoRate(currency) => Error::MissingBaseRate {
                currency,
                base,
                month: self.month,
                customer: self.customer.to_string(),
                subscription_id: self.subscription.get(row).unwrap_or_default().to_string(),
                path: self.sources.file(self.files.get(row)),
            },
            AtError::TooLarge => Error::Overflow {
                what: format!(
                    "the MRR of customer '{}' in {} at {base}'s rates",
                    self.customer, self.month
                ),
            },
        }
    }
}

/// One month's customer_months rows, in customer-id text order.
#[derive(Default)]
struct MonthRows {
    customers: Vec<u32>,
    cohort: Vec<i32>,
    mrr: Vec<i64>,
    prev: Vec<i64>,
    fx: Vec<i64>,
    movement: Vec<IdxSize>,
    fx3: Vec<i64>,
    fx12: Vec<i64>,
    fx_cohort: Vec<i64>,
}

impl MonthRows {
    fn push(&mut self, c: u32, row: &MovementRow, fx3: i64, fx12: i64, cohort: i32) {
        self.customers.push(c);
        self.cohort.push(cohort);
        self.mrr.push(row.mrr);
        self.prev.push(row.prev);
        self.fx.push(row.fx());
        self.movement.push(row.movement as IdxSize);
        self.fx3.push(fx3);
        self.fx12.push(fx12);
        self.fx_cohort.push(super::movements::cohort_fx(row));
    }

    fn frame(self, fold: &Fold, month: Month) -> Result<DataFrame> {
        let n = self.customers.len();
        let movement_names = StringChunked::from_iter_values("".into(), Movement::ALL.iter().map(|m| m.name()));
        let mut columns = vec![
            StringChunked::from_iter_values(
                CUSTOMER_ID.into(),
                self.customers.iter().map(|c| fold.names[*c as usize].as_str()),
            )
            .into_column(),
            Column::new(MONTH.into(), vec![month.0; n]),
            Column::new(COHORT_MONTH.into(), self.cohort),
            Column::new(MRR_OUT.into(), self.mrr),
            Column::new(PREV_MRR.into(), self.prev),
            Column::new(FX_MRR.into(), self.fx),
            movement_names
                .take(&IdxCa::from_vec("idx".into(), self.movement))?
                .with_name(MOVEMENT.into())
                .into_column(),
            Column::new(FX_MRR_3M.into(), self.fx3),
            Column::new(FX_MRR_12M.into(), self.fx12),
            Column::new(FX_MRR_COHORT.into(), self.fx_cohort),
        ];
        let w = fold.width();
        for (s, name) in fold.opts.segment_by.iter().enumerate() {
            let values = StringChunked::from_iter_values(
                name.as_str().into(),
                self.customers
                    .iter()
                    .map(|c| fold.segments[s].value(fold.codes[*c as usize * w + s])),
            );
            columns.push(values.into_column());
        }
        Ok(DataFrame::new(n, columns)?)
    }
}
