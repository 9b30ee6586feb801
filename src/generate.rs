//! Synthetic subscription snapshots for samples, tests and benchmarks.
//!
//! The data looks like a B2B SaaS billing export: customers on several
//! plans and currencies, trials, seat upgrades and downgrades, add-on
//! subscriptions, pauses, cancellations and win-backs. Snapshots are written
//! as daily exports land, one Hive folder per snapshot date
//! (`snapshot_date=YYYY-MM-DD/`), daily or at each month end. The same seed
//! always gives the same bytes.

use std::path::{Path, PathBuf};

use chrono::Datelike;

use polars::prelude::*;

use crate::io::write::{write_parquet, DATA_FILE};
use crate::{Month, Result};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Number of customers.
    pub customers: usize,
    /// Number of months.
    pub months: u32,
    /// Write a snapshot every day instead of at each month end.
    pub daily: bool,
    /// Random seed.
    pub seed: u64,
    /// First month.
    pub start: Month,
    /// Output folder; snapshots go to `snapshots/`, rates to `fx_rates.parquet`.
    pub output: PathBuf,
}

/// What was generated.
#[derive(Debug)]
pub struct Generated {
    /// Snapshot files written.
    pub files: usize,
    /// Snapshot rows written.
    pub rows: usize,
}

/// SplitMix64: tiny, fast and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const PLANS: [&str; 4] = ["starter", "growth", "enterprise", "addon"];
const PRICE: [f64; 4] = [29.99, 99.5, 450.0, 9.99];
const REGIONS: [&str; 3] = ["NA", "EMEA", "APAC"];
const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];
const STATUSES: [&str; 5] = ["active", "past_due", "trialing", "paused", "canceled"];
const ACTIVE: u8 = 0;
const PAST_DUE: u8 = 1;
const TRIALING: u8 = 2;
const PAUSED: u8 = 3;
const CANCELED: u8 = 4;

/// A subscription's state at a month end.
#[derive(Clone, Copy)]
struct State {
    seats: u32,
    status: u8,
}

struct Sub {
    id: u32,
    customer: u32,
    plan: u8,
    currency: u8,
    region: Option<u8>,
    /// State at each month end (None: no row).
    states: Vec<Option<State>>,
    /// Day of month (1..=28) from which that month's state shows in daily data.
    change_day: Vec<u8>,
}

/// Generates snapshots and an FX file under `opts.output`.
pub fn generate(opts: &GenerateOptions) -> Result<Generated> {
    let subs = simulate(opts);
    let snapshot_root = opts.output.join("snapshots");
    if snapshot_root.exists() {
        fs_err::remove_dir_all(&snapshot_root).map_err(|e| crate::Error::io("removing", &snapshot_root, e))?;
    }
    let mut files = 0;
    let mut rows = 0;
    for m in 0..opts.months as usize {
        let month = opts.start.plus(m as i32);
        let last = month.last_day().day();
        let days: Vec<u32> = if opts.daily { (1..=last).collect() } else { vec![last] };
        for day in days {
            let date = month.first_day().with_day(day).expect("valid day");
            let frame = snapshot_frame(&subs, m, day, opts.daily)?;
            rows += frame.height();
            write_day(&snapshot_root, date, frame)?;
            files += 1;
        }
    }
    write_parquet(&opts.output.join("fx_rates.parquet"), fx_frame(opts)?)?;
    Ok(Generated { files, rows })
}

fn write_day(root: &Path, date: chrono::NaiveDate, frame: DataFrame) -> Result<()> {
    let dir = root.join(format!("snapshot_date={}", date.format("%Y-%m-%d")));
    fs_err::create_dir_all(&dir).map_err(|e| crate::Error::io("creating", &dir, e))?;
    write_parquet(&dir.join(DATA_FILE), frame)
}

fn simulate(opts: &GenerateOptions) -> Vec<Sub> {
    let months = opts.months as usize;
    let mut rng = Rng(opts.seed ^ 0x6E72_725F_6765_6E00);
    let mut subs = Vec::new();
    let mut next_sub = 1_u32;
    for customer in 0..opts.customers as u32 {
        let start = if rng.chance(0.35) {
            0
        } else {
            rng.below(months as u64) as usize
        };
        let plan = match rng.unit() {
            u if u < 0.6 => 0,
            u if u < 0.9 => 1,
            _ => 2,
        };
        let region_idx = match rng.unit() {
            u if u < 0.5 => 0,
            u if u < 0.85 => 1,
            _ => 2,
        };
        let currency = if region_idx == 1 {
            if rng.chance(0.7) {
                1
            } else {
                2
            }
        } else {
            0
        };
        let region = (!rng.chance(0.02)).then_some(region_idx as u8);
        let max_seats = [5, 20, 80][plan];
        let trial = plan != 2 && rng.chance(0.4);

        let mut new_sub = |plan: u8, rng: &mut Rng| {
            let id = next_sub;
            next_sub += 1;
            Sub {
                id,
                customer,
                plan,
                currency,
                region,
                states: vec![None; months],
                change_day: (0..months).map(|_| 1 + rng.below(28) as u8).collect(),
            }
        };

        let mut main = new_sub(plan as u8, &mut rng);
        let mut addon: Option<Sub> = None;
        let mut extra: Vec<Sub> = Vec::new();
        let mut seats = 1 + rng.below(max_seats / 2 + 1) as u32;
        let mut m = start;
        if trial {
            main.states[m] = Some(State {
                seats,
                status: TRIALING,
            });
            m += 1;
            if m < months && !rng.chance(0.75) {
                main.states[m] = Some(State {
                    seats,
                    status: CANCELED,
                });
                m = months; // trial not converted
            }
        }
        let churn_p = [0.035, 0.02, 0.01][plan];
        while m < months {
            // One paying spell of the main subscription.
            let roll = rng.unit();
            if roll < churn_p {
                main.states[m] = Some(State {
                    seats,
                    status: CANCELED,
                });
                if let Some(a) = addon.as_mut() {
                    a.states[m] = Some(State {
                        seats: 1,
                        status: CANCELED,
                    });
                }
                subs.push(std::mem::replace(&mut main, new_sub(plan as u8, &mut rng)));
                if let Some(a) = addon.take() {
                    subs.push(a);
                }
                // Win-back after a few months, on a new subscription.
                if rng.chance(0.25) {
                    m += 2 + rng.below(5) as usize;
                    continue;
                }
                break;
            } else if roll < churn_p + 0.05 {
                seats += 1 + rng.below(u64::from(seats / 3 + 1)) as u32;
            } else if roll < churn_p + 0.075 && seats > 1 {
                seats -= 1 + rng.below(u64::from(seats / 4 + 1)) as u32;
                seats = seats.max(1);
            }
            let status = match rng.unit() {
                u if u < 0.01 => PAUSED,
                u if u < 0.03 => PAST_DUE,
                _ => ACTIVE,
            };
            main.states[m] = Some(State { seats, status });
            if addon.is_none() && rng.chance(0.02) {
                addon = Some(new_sub(3, &mut rng));
            }
            if let Some(a) = addon.as_mut() {
                a.states[m] = Some(State {
                    seats: 1 + (seats / 5),
                    status: ACTIVE,
                });
            }
            if plan == 2 && extra.is_empty() && rng.chance(0.1) {
                extra.push(new_sub(2, &mut rng));
            }
            for e in extra.iter_mut() {
                e.states[m] = Some(State {
                    seats: 5,
                    status: ACTIVE,
                });
            }
            m += 1;
        }
        subs.push(main);
        subs.extend(addon);
        subs.extend(extra);
    }
    subs.retain(|s| s.states.iter().any(Option::is_some));
    subs.sort_by_key(|s| (s.customer, s.id));
    subs
}

/// The rows of one snapshot day. In daily data a month's state shows from
/// its change day on; before that the previous month's (unless cancelled).
fn snapshot_frame(subs: &[Sub], m: usize, day: u32, daily: bool) -> Result<DataFrame> {
    let mut customer = Vec::new();
    let mut subscription = Vec::new();
    let mut mrr = Vec::new();
    let mut currency = Vec::new();
    let mut status = Vec::new();
    let mut plan = Vec::new();
    let mut region = Vec::new();
    for s in subs {
        let state = if daily && day < u32::from(s.change_day[m]) {
            m.checked_sub(1)
                .and_then(|p| s.states[p])
                .filter(|st| st.status != CANCELED)
        } else {
            s.states[m]
        };
        let Some(state) = state else { continue };
        customer.push(format!("C{:07}", s.customer));
        subscription.push(format!("S{:08}", s.id));
        mrr.push((f64::from(state.seats) * PRICE[s.plan as usize] * 100.0).round() / 100.0);
        currency.push(CURRENCIES[s.currency as usize]);
        status.push(STATUSES[state.status as usize]);
        plan.push(PLANS[s.plan as usize]);
        region.push(s.region.map(|r| REGIONS[r as usize]));
    }
    Ok(DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), customer),
        Column::new("subscription_id".into(), subscription),
        Column::new("mrr".into(), mrr),
        Column::new("currency".into(), currency),
        Column::new("status".into(), status),
        Column::new("plan".into(), plan),
        Column::new("region".into(), region),
    ])?)
}

/// Monthly EUR and GBP rates to USD, a gentle random walk with 4 decimals.
fn fx_frame(opts: &GenerateOptions) -> Result<DataFrame> {
    let mut rng = Rng(opts.seed ^ 0xF0F0);
    let (mut eur, mut gbp) = (1.0850_f64, 1.2700_f64);
    let (mut month, mut currency, mut rate) = (Vec::new(), Vec::new(), Vec::new());
    for m in 0..opts.months as i32 {
        let day = opts.start.plus(m).first_day_epoch_days();
        for (code, value) in [("EUR", &mut eur), ("GBP", &mut gbp)] {
            *value = ((*value * (1.0 + (rng.unit() - 0.5) * 0.02)) * 10_000.0).round() / 10_000.0;
            month.push(day);
            currency.push(code);
            rate.push(*value);
        }
    }
    Ok(DataFrame::new_infer_height(vec![
        Column::new("month".into(), month).cast(&DataType::Date)?,
        Column::new("currency".into(), currency),
        Column::new("rate".into(), rate),
    ])?)
}
