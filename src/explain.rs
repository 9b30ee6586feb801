//! `nrr explain`: one number of the published tables with its derivation.
//!
//! The derivation is recomputed from `customer_months`, the audit trail, by
//! the same rules the engine sums with ([`bridge::contribution`] for the
//! monthly bridge, [`windows::contribution`] for a window or a cohort cell,
//! which is a window from the cohort month), and compared cell by cell with
//! the row of `mrr_movements`, `nrr_summary` or `cohort_matrix` it explains.
//! Only the partitions of the months involved are read. The text and JSON
//! forms are described in docs/EXPLAIN_DIFF.md.

use std::collections::HashMap;
use std::fmt::Write as _;

use polars::prelude::*;
use serde::Serialize;

use crate::diff::Cell;
use crate::engine::bridge::{self, BRIDGE_COLUMNS};
use crate::engine::movements::{Movement, MovementRow, BASES, WINDOWS};
use crate::engine::ratios::{self, ratio};
use crate::engine::segments::ALL;
use crate::engine::windows;
use crate::io::published::Published;
use crate::snapshots::CUSTOMER_ID;
use crate::summary::{money, serialize_cents};
use crate::tables::{
    Kind as ColumnKind, COHORT_MATRIX, COHORT_MONTH, CUSTOMER_MONTHS, FX_MRR, FX_MRR_12M, FX_MRR_3M, FX_MRR_COHORT,
    MOVEMENT, MRR, MRR_MOVEMENTS, NRR_SUMMARY, PREV_MRR, SEGMENT_NAME, SEGMENT_VALUE, WINDOW_MONTHS,
};
use crate::{Error, Month, Result};

/// Customers whose share of a term `concentration` reports.
pub const CONCENTRATION_TOP: usize = 10;

/// What to explain.
#[derive(Clone, Debug)]
pub struct Request {
    /// The month M.
    pub month: Month,
    /// A trailing window (nrr_summary row); `None` for the monthly bridge.
    pub window: Option<i32>,
    /// A cohort (cohort_matrix cell at M) instead.
    pub cohort: Option<Month>,
    /// A segment (name, value); `None` for all customers.
    pub segment: Option<(String, String)>,
    /// How many customers to list per term.
    pub top: usize,
}

/// Which number is explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A month's bridge: a row of mrr_movements.
    Monthly,
    /// A trailing window: a row of nrr_summary.
    Window,
    /// A cohort cell: a row of cohort_matrix.
    Cohort,
}

/// A number and its derivation.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// What is explained.
    pub kind: Kind,
    /// The table whose row it is.
    pub table: &'static str,
    /// The output read.
    pub output: String,
    /// The month M (YYYY-MM).
    pub month: String,
    /// The month compared with: M−1, M−w or the cohort month (YYYY-MM).
    pub base_month: String,
    /// The window, for a window.
    pub window_months: Option<i32>,
    /// The cohort, for a cohort cell (YYYY-MM).
    pub cohort_month: Option<String>,
    /// Months from the cohort month to M, for a cohort cell.
    pub months_since_cohort: Option<i32>,
    /// Segment column (`all` for all customers).
    pub segment_name: String,
    /// Segment value (`all` for all customers).
    pub segment_value: String,
    /// Currency of every amount.
    pub currency: String,
    /// The terms, in the order they add up.
    pub terms: Vec<Term>,
    /// For a cohort cell: M's own movements of the cohort's customers (the
    /// cell's movement columns).
    pub month_movements: Vec<Term>,
    /// Each ratio: its rule, the rule with the figures, its value.
    pub formulas: Vec<Formula>,
    /// NRR at constant currency.
    pub nrr: Option<f64>,
    /// GRR at constant currency.
    pub grr: Option<f64>,
    /// NRR at actual rates.
    pub nrr_with_fx: Option<f64>,
    /// Share of the cohort's customers still active (cohort cells).
    pub logo_retention: Option<f64>,
    /// Whether every recomputed column equals the table's row.
    pub matches: bool,
    /// The columns that differ (empty when `matches`).
    pub mismatches: Vec<Mismatch>,
    /// The customers behind each term.
    pub contributors: Vec<Contributors>,
}

/// One line of a bridge: a term, how many customers make it, its amount.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    /// `start`, `new`, `expansion`, … (docs/EXPLAIN_DIFF.md lists them).
    pub term: &'static str,
    /// Customers in it (none for FX, which is not a customer count).
    pub customers: Option<i64>,
    /// Amount in cents (JSON: a decimal string).
    #[serde(serialize_with = "serialize_cents")]
    pub mrr: i64,
}

/// A ratio's derivation.
#[derive(Debug, Serialize)]
pub struct Formula {
    /// `nrr`, `grr`, `nrr_with_fx`, `logo_retention`, or `bridge` (end =
    /// start + …, which has no value).
    pub name: &'static str,
    /// The rule in words.
    pub rule: String,
    /// The rule with this number's figures.
    pub filled: String,
    /// The value.
    pub value: Option<f64>,
}

/// A column whose recomputed value differs from the table's.
#[derive(Debug, Serialize)]
pub struct Mismatch {
    /// The column.
    pub column: String,
    /// In the table (money a decimal string, counts integers, ratios numbers).
    pub table: Cell,
    /// Recomputed from customer_months.
    pub recomputed: Cell,
}

/// The customers behind one term, largest first.
#[derive(Debug, Serialize)]
pub struct Contributors {
    /// The term.
    pub term: &'static str,
    /// The term's amount (cents; JSON: a decimal string).
    #[serde(serialize_with = "serialize_cents")]
    pub total: i64,
    /// Customers with a non-zero amount in it.
    pub customers: usize,
    /// Share of the term made by its [`CONCENTRATION_TOP`] largest customers
    /// (of absolute amounts, for FX); null when the term is 0.
    pub top10_share: Option<f64>,
    /// The largest `--top` customers.
    pub top: Vec<Contributor>,
}

/// One customer's part in a term.
#[derive(Debug, Clone, Serialize)]
pub struct Contributor {
    /// The customer.
    pub customer_id: String,
    /// MRR in the base month (cents; JSON: a decimal string).
    #[serde(serialize_with = "serialize_cents")]
    pub base_mrr: i64,
    /// MRR in M at actual rates (cents; JSON: a decimal string).
    #[serde(serialize_with = "serialize_cents")]
    pub mrr: i64,
    /// Its amount in the term (cents; JSON: a decimal string).
    #[serde(serialize_with = "serialize_cents")]
    pub amount: i64,
}

/// One customer_months row, as explanations use it.
struct Row {
    id: String,
    cohort: i32,
    mrr: i64,
    prev: i64,
    /// FX impacts against M−1, M−3, M−12 and the cohort month's rates.
    fx: [i64; BASES],
    movement: Movement,
}

impl Row {
    fn movement_row(&self) -> MovementRow {
        MovementRow {
            month: 0,
            mrr: self.mrr,
            prev: self.prev,
            at: [self.mrr - self.fx[0], 0, 0, 0],
            movement: self.movement,
        }
    }

    /// M's MRR at the rates of the base month of window index `wi`.
    fn at_base(&self, wi: usize) -> i64 {
        self.mrr - self.fx[wi]
    }
}

/// Explains one number of the output.
pub fn explain(output: &Published, req: &Request) -> Result<Explanation> {
    let m = &output.manifest;
    if let Some((name, _)) = &req.segment {
        if !m.segment_by.contains(name) {
            return Err(Error::InvalidArgument {
                what: "--segment".into(),
                value: name.clone(),
                expected: if m.segment_by.is_empty() {
                    "this output has no segment columns: drop --segment".into()
                } else {
                    format!("a segment column of this output: {}", m.segment_by.join(", "))
                },
            });
        }
    }
    let months = output.months(MRR_MOVEMENTS.name)?;
    if !months.contains(&req.month) {
        return Err(Error::InvalidArgument {
            what: "--month".into(),
            value: req.month.to_string(),
            expected: match (months.first(), months.last()) {
                (Some(a), Some(b)) => format!("a month of this output ({a} to {b})"),
                _ => "a month of this output, which has none".into(),
            },
        });
    }
    let (segment_name, segment_value) = req.segment.clone().unwrap_or_else(|| (ALL.into(), ALL.into()));
    let mut ex = Explanation {
        kind: Kind::Monthly,
        table: MRR_MOVEMENTS.name,
        output: output.display(),
        month: req.month.to_string(),
        base_month: req.month.plus(-1).to_string(),
        window_months: None,
        cohort_month: None,
        months_since_cohort: None,
        segment_name,
        segment_value,
        currency: m.reporting_currency.clone(),
        terms: vec![],
        month_movements: vec![],
        formulas: vec![],
        nrr: None,
        grr: None,
        nrr_with_fx: None,
        logo_retention: None,
        matches: true,
        mismatches: vec![],
        contributors: vec![],
    };
    match (req.window, req.cohort) {
        (Some(_), Some(_)) => Err(Error::InvalidArgument {
            what: "--window".into(),
            value: req.window.unwrap_or_default().to_string(),
            expected: "--cohort explains a cohort_matrix cell, which has no window: drop one of the two".into(),
        }),
        (None, None) => monthly(output, req, ex),
        (Some(w), None) => {
            let Some(wi) = WINDOWS.iter().position(|x| *x == w) else {
                return Err(Error::InvalidArgument {
                    what: "--window".into(),
                    value: w.to_string(),
                    expected: "1, 3 or 12".into(),
                });
            };
            ex.kind = Kind::Window;
            ex.table = NRR_SUMMARY.name;
            ex.window_months = Some(w);
            ex.base_month = req.month.plus(-w).to_string();
            window(output, req, wi, ex)
        }
        (None, Some(c)) => {
            ex.kind = Kind::Cohort;
            ex.table = COHORT_MATRIX.name;
            ex.base_month = c.to_string();
            ex.cohort_month = Some(c.to_string());
            ex.months_since_cohort = Some(req.month.since(c));
            cohort(output, req, c, ex)
        }
    }
}

fn monthly(output: &Published, req: &Request, mut ex: Explanation) -> Result<Explanation> {
    let table = table_row(output, &ex, req, MRR_MOVEMENTS.name, lit(true))?;
    let rows = customer_rows(output, req.month, req.segment.as_ref())?;
    let parts: Vec<[i64; 15]> = rows.iter().map(|r| bridge::contribution(&r.movement_row())).collect();
    let s = sum(&parts);
    let [start, new, react, exp, con, churn, fx, end] = [7, 8, 9, 10, 11, 12, 13, 14].map(|i| s[i]);
    let (nrr, grr, with_fx) = (
        ratios::nrr(start, exp, con, churn),
        ratios::grr(start, con, churn),
        ratios::nrr_with_fx(start, exp, con, churn, fx),
    );
    let mut recomputed: Vec<(String, Value)> = BRIDGE_COLUMNS
        .iter()
        .zip(s)
        .map(|(c, v)| (c.to_string(), Value::Int(v)))
        .collect();
    recomputed.extend([
        ("nrr".into(), Value::Ratio(nrr)),
        ("grr".into(), Value::Ratio(grr)),
        ("nrr_with_fx".into(), Value::Ratio(with_fx)),
    ]);
    check(&mut ex, &table, &recomputed)?;
    let t = |term, customers: Option<i64>, mrr| Term { term, customers, mrr };
    ex.terms = vec![
        t("start", Some(s[0]), start),
        t("new", Some(s[2]), new),
        t("reactivation", Some(s[3]), react),
        t("expansion", Some(s[4]), exp),
        t("contraction", Some(s[5]), con),
        t("churn", Some(s[6]), churn),
        t("fx", None, fx),
        t("end", Some(s[1]), end),
    ];
    let f = |v: i64| money(v);
    ex.formulas = vec![
        Formula {
            name: "bridge",
            rule: "end = start + new + reactivation + expansion − contraction − churn + fx".into(),
            filled: format!(
                "{} = {} + {} + {} + {} − {} − {} {}",
                f(end),
                f(start),
                f(new),
                f(react),
                f(exp),
                f(con),
                f(churn),
                plus(fx)
            ),
            value: None,
        },
        Formula {
            name: "nrr",
            rule: "(start + expansion − contraction − churn) / start".into(),
            filled: format!("({} + {} − {} − {}) / {}", f(start), f(exp), f(con), f(churn), f(start)),
            value: nrr,
        },
        Formula {
            name: "grr",
            rule: "(start − contraction − churn) / start".into(),
            filled: format!("({} − {} − {}) / {}", f(start), f(con), f(churn), f(start)),
            value: grr,
        },
        Formula {
            name: "nrr_with_fx",
            rule: "(start + expansion − contraction − churn + fx) / start".into(),
            filled: format!(
                "({} + {} − {} − {} {}) / {}",
                f(start),
                f(exp),
                f(con),
                f(churn),
                plus(fx),
                f(start)
            ),
            value: with_fx,
        },
    ];
    (ex.nrr, ex.grr, ex.nrr_with_fx) = (nrr, grr, with_fx);
    let who = |i: usize| -> Vec<Contributor> {
        rows.iter()
            .zip(&parts)
            .map(|(r, p)| Contributor {
                customer_id: r.id.clone(),
                base_mrr: r.prev,
                mrr: r.mrr,
                amount: p[i],
            })
            .collect()
    };
    ex.contributors = [
        ("new", 8),
        ("reactivation", 9),
        ("expansion", 10),
        ("contraction", 11),
        ("churn", 12),
        ("fx", 13),
    ]
    .into_iter()
    .map(|(term, i)| contributors(term, who(i), req.top))
    .collect();
    Ok(ex)
}

/// One base customer of a window (or a cohort): its MRR in the base month,
/// and its row in M if it has one.
struct Pair<'a> {
    id: &'a str,
    base: i64,
    cur: Option<&'a Row>,
}

/// Sums the window rule over base customers; `cc` gives a row's MRR at the
/// base month's rates. Returns the sums and each customer's contribution.
fn window_sums(pairs: &[Pair], cc: impl Fn(&Row) -> i64) -> ([i64; 9], Vec<[i64; 9]>) {
    let parts: Vec<[i64; 9]> = pairs
        .iter()
        .map(|p| {
            let (cur, cur_cc) = p.cur.map_or((0, 0), |r| (r.mrr, cc(r)));
            windows::contribution(p.base, cur, cur_cc)
        })
        .collect();
    (sum(&parts), parts)
}

fn window_contributors(pairs: &[Pair], parts: &[[i64; 9]], top: usize) -> Vec<Contributors> {
    let who = |i: usize| -> Vec<Contributor> {
        pairs
            .iter()
            .zip(parts)
            .map(|(p, c)| Contributor {
                customer_id: p.id.to_string(),
                base_mrr: p.base,
                mrr: p.cur.map_or(0, |r| r.mrr),
                amount: c[i],
            })
            .collect()
    };
    [("expansion", 3), ("contraction", 4), ("churn", 5), ("fx", 6)]
        .into_iter()
        .map(|(term, i)| contributors(term, who(i), top))
        .collect()
}

fn window(output: &Published, req: &Request, wi: usize, mut ex: Explanation) -> Result<Explanation> {
    let w = WINDOWS[wi];
    let base_month = req.month.plus(-w);
    base_in_output(
        output,
        base_month,
        "--window",
        &w.to_string(),
        &format!("the {w}-month window at {}", req.month),
    )?;
    let table = table_row(
        output,
        &ex,
        req,
        NRR_SUMMARY.name,
        col(WINDOW_MONTHS).eq(lit(i64::from(w))),
    )?;
    let base_rows = customer_rows(output, base_month, req.segment.as_ref())?;
    let cur_rows = customer_rows(output, req.month, req.segment.as_ref())?;
    let by_id: HashMap<&str, &Row> = cur_rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let pairs: Vec<Pair> = base_rows
        .iter()
        .filter(|r| r.mrr > 0)
        .map(|r| Pair {
            id: &r.id,
            base: r.mrr,
            cur: by_id.get(r.id.as_str()).copied(),
        })
        .collect();
    let (s, parts) = window_sums(&pairs, |r| r.at_base(wi));
    let [customers, retained_customers, base, exp, con, churn, fx, retained, gross] = s;
    let (nrr, grr, with_fx) = (
        ratio(retained, base),
        ratio(gross, base),
        ratio(i128::from(retained) + i128::from(fx), base),
    );
    let mut recomputed: Vec<(String, Value)> = windows::ADDITIVE
        .iter()
        .zip(s)
        .map(|(c, v)| (c.to_string(), Value::Int(v)))
        .collect();
    recomputed.extend([
        ("nrr".into(), Value::Ratio(nrr)),
        ("grr".into(), Value::Ratio(grr)),
        ("nrr_with_fx".into(), Value::Ratio(with_fx)),
    ]);
    check(&mut ex, &table, &recomputed)?;
    let count = |i: usize| parts.iter().filter(|p| p[i] != 0).count() as i64;
    let t = |term, customers: Option<i64>, mrr| Term { term, customers, mrr };
    ex.terms = vec![
        t("base", Some(customers), base),
        t("expansion", Some(count(3)), exp),
        t("contraction", Some(count(4)), con),
        t("churn", Some(customers - retained_customers), churn),
        t("retained", Some(retained_customers), retained),
        t("fx", None, fx),
        t("gross_retained", None, gross),
    ];
    ex.formulas = ratio_formulas("base", base, exp, con, churn, fx, [nrr, grr, with_fx]);
    (ex.nrr, ex.grr, ex.nrr_with_fx) = (nrr, grr, with_fx);
    ex.contributors = window_contributors(&pairs, &parts, req.top);
    Ok(ex)
}

fn cohort(output: &Published, req: &Request, c: Month, mut ex: Explanation) -> Result<Explanation> {
    if c > req.month {
        return Err(Error::InvalidArgument {
            what: "--cohort".into(),
            value: c.to_string(),
            expected: format!("a cohort month at or before --month {}", req.month),
        });
    }
    base_in_output(output, c, "--cohort", &c.to_string(), &format!("cohort {c}"))?;
    let table = table_row(output, &ex, req, COHORT_MATRIX.name, col(COHORT_MONTH).eq(lit(c.0)))?;
    let base_rows = customer_rows(output, c, req.segment.as_ref())?;
    let cur_rows = customer_rows(output, req.month, req.segment.as_ref())?;
    let by_id: HashMap<&str, &Row> = cur_rows
        .iter()
        .filter(|r| r.cohort == c.0)
        .map(|r| (r.id.as_str(), r))
        .collect();
    let pairs: Vec<Pair> = base_rows
        .iter()
        .filter(|r| r.cohort == c.0 && r.mrr > 0)
        .map(|r| Pair {
            id: &r.id,
            base: r.mrr,
            cur: by_id.get(r.id.as_str()).copied(),
        })
        .collect();
    let (s, parts) = window_sums(&pairs, |r| r.at_base(3));
    let [customers, active, base, exp, con, churn, fx, at_cohort, gross] = s;
    let mrr = at_cohort + fx;
    // M's own movements of the cohort's customers: the cell's movement columns.
    let moves = sum(&cur_rows
        .iter()
        .filter(|r| r.cohort == c.0)
        .map(|r| bridge::contribution(&r.movement_row()))
        .collect::<Vec<_>>());
    let (nrr, grr, with_fx, logo) = (
        ratio(at_cohort, base),
        ratio(gross, base),
        ratio(mrr, base),
        ratio(active, customers),
    );
    let recomputed: Vec<(String, Value)> = vec![
        ("cohort_customers".into(), Value::Int(customers)),
        ("cohort_mrr".into(), Value::Int(base)),
        ("active_customers".into(), Value::Int(active)),
        (MRR.into(), Value::Int(mrr)),
        ("mrr_expansion".into(), Value::Int(moves[10])),
        ("mrr_contraction".into(), Value::Int(moves[11])),
        ("mrr_churn".into(), Value::Int(moves[12])),
        ("mrr_reactivation".into(), Value::Int(moves[9])),
        ("mrr_fx".into(), Value::Int(moves[13])),
        ("nrr".into(), Value::Ratio(nrr)),
        ("grr".into(), Value::Ratio(grr)),
        ("logo_retention".into(), Value::Ratio(logo)),
        ("nrr_with_fx".into(), Value::Ratio(with_fx)),
    ];
    check(&mut ex, &table, &recomputed)?;
    let count = |i: usize| parts.iter().filter(|p| p[i] != 0).count() as i64;
    let t = |term, customers: Option<i64>, mrr| Term { term, customers, mrr };
    ex.terms = vec![
        t("cohort", Some(customers), base),
        t("expansion", Some(count(3)), exp),
        t("contraction", Some(count(4)), con),
        t("churn", Some(customers - active), churn),
        t("retained", Some(active), at_cohort),
        t("fx", None, fx),
        t("mrr", Some(active), mrr),
        t("gross_retained", None, gross),
    ];
    ex.month_movements = vec![
        t("reactivation", Some(moves[3]), moves[9]),
        t("expansion", Some(moves[4]), moves[10]),
        t("contraction", Some(moves[5]), moves[11]),
        t("churn", Some(moves[6]), moves[12]),
        t("fx", None, moves[13]),
    ];
    ex.formulas = ratio_formulas("cohort", base, exp, con, churn, fx, [nrr, grr, with_fx]);
    ex.formulas.push(Formula {
        name: "logo_retention",
        rule: "active customers / cohort customers".into(),
        filled: format!("{active} / {customers}"),
        value: logo,
    });
    (ex.nrr, ex.grr, ex.nrr_with_fx, ex.logo_retention) = (nrr, grr, with_fx, logo);
    ex.contributors = window_contributors(&pairs, &parts, req.top);
    Ok(ex)
}

/// A usage error unless the output has customer_months rows of `base`:
/// the base month of a window before the timeline, or before the months a
/// range run wrote, has nothing to recompute from.
fn base_in_output(output: &Published, base: Month, what: &str, value: &str, of: &str) -> Result<()> {
    let months = output.months(CUSTOMER_MONTHS.name)?;
    if months.contains(&base) {
        return Ok(());
    }
    let held = match (months.first(), months.last()) {
        (Some(a), Some(b)) => format!("it holds {a} to {b}"),
        _ => "it holds none".into(),
    };
    let m = &output.manifest;
    let range = if m.mode == "range" {
        format!(", written by a range run from {}", m.months_written_from)
    } else {
        String::new()
    };
    Err(Error::InvalidArgument {
        what: what.into(),
        value: value.into(),
        expected: format!("{of} compares with {base}, which is not in this output ({held}{range})"),
    })
}

/// NRR, GRR and NRR with FX of a window or cohort, as formulas over `base`.
fn ratio_formulas(
    base_name: &str,
    base: i64,
    exp: i64,
    con: i64,
    churn: i64,
    fx: i64,
    [nrr, grr, with_fx]: [Option<f64>; 3],
) -> Vec<Formula> {
    let f = |v: i64| money(v);
    vec![
        Formula {
            name: "nrr",
            rule: format!("({base_name} + expansion − contraction − churn) / {base_name}"),
            filled: format!("({} + {} − {} − {}) / {}", f(base), f(exp), f(con), f(churn), f(base)),
            value: nrr,
        },
        Formula {
            name: "grr",
            rule: format!("({base_name} − contraction − churn) / {base_name}"),
            filled: format!("({} − {} − {}) / {}", f(base), f(con), f(churn), f(base)),
            value: grr,
        },
        Formula {
            name: "nrr_with_fx",
            rule: format!("({base_name} + expansion − contraction − churn + fx) / {base_name}"),
            filled: format!(
                "({} + {} − {} − {} {}) / {}",
                f(base),
                f(exp),
                f(con),
                f(churn),
                plus(fx),
                f(base)
            ),
            value: with_fx,
        },
    ]
}

/// The customers of one term, largest first (by absolute amount, so FX
/// shows its largest moves either way), ties by customer id.
fn contributors(term: &'static str, mut all: Vec<Contributor>, top: usize) -> Contributors {
    all.retain(|c| c.amount != 0);
    all.sort_by(|a, b| {
        b.amount
            .unsigned_abs()
            .cmp(&a.amount.unsigned_abs())
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    let abs_total: i128 = all.iter().map(|c| i128::from(c.amount.unsigned_abs())).sum();
    let abs_top: i128 = all
        .iter()
        .take(CONCENTRATION_TOP)
        .map(|c| i128::from(c.amount.unsigned_abs()))
        .sum();
    Contributors {
        term,
        total: all.iter().map(|c| c.amount).sum(),
        customers: all.len(),
        top10_share: (abs_total > 0).then(|| abs_top as f64 / abs_total as f64),
        top: all.into_iter().take(top).collect(),
    }
}

fn sum<const N: usize>(parts: &[[i64; N]]) -> [i64; N] {
    let mut out = [0_i64; N];
    for p in parts {
        for (o, v) in out.iter_mut().zip(p) {
            *o += v;
        }
    }
    out
}

/// A recomputed cell.
enum Value {
    Int(i64),
    Ratio(Option<f64>),
}

/// Compares the recomputed cells with the table's row.
fn check(ex: &mut Explanation, row: &DataFrame, recomputed: &[(String, Value)]) -> Result<()> {
    let spec = [&MRR_MOVEMENTS, &NRR_SUMMARY, &COHORT_MATRIX]
        .into_iter()
        .find(|t| t.name == ex.table)
        .ok_or_else(|| Error::Invariant(format!("no table {}", ex.table)))?;
    let is_money = |name: &str| spec.columns.iter().any(|(c, k)| *c == name && *k == ColumnKind::Money);
    for (name, value) in recomputed {
        let column = row.column(name)?;
        let (table, mine) = match value {
            Value::Int(v) => {
                let t = column.cast(&DataType::Int64)?.i64()?.get(0);
                if t == Some(*v) {
                    continue;
                }
                let cell = |v: i64| if is_money(name) { Cell::Money(v) } else { Cell::Int(v) };
                (t.map_or(Cell::Null, cell), cell(*v))
            }
            Value::Ratio(v) => {
                let t = column.f64()?.get(0);
                if t == *v {
                    continue;
                }
                let cell = |v: Option<f64>| v.map_or(Cell::Null, Cell::Ratio);
                (cell(t), cell(*v))
            }
        };
        ex.mismatches.push(Mismatch {
            column: name.clone(),
            table,
            recomputed: mine,
        });
    }
    ex.matches = ex.mismatches.is_empty();
    Ok(())
}

/// The table's row for the request (at M, for the segment, and `extra`).
fn table_row(output: &Published, ex: &Explanation, req: &Request, table: &str, extra: Expr) -> Result<DataFrame> {
    let frame = output
        .partition_cents(table, req.month)?
        .ok_or_else(|| missing_table(output, table, req.month))?;
    let row = frame
        .clone()
        .lazy()
        .filter(
            col(SEGMENT_NAME)
                .eq(lit(ex.segment_name.clone()))
                .and(col(SEGMENT_VALUE).eq(lit(ex.segment_value.clone())))
                .and(extra),
        )
        .collect()?;
    match row.height() {
        1 => Ok(row),
        0 => {
            let segment = format!("{}={}", ex.segment_name, ex.segment_value);
            Err(match (req.window, req.cohort) {
                (_, Some(c)) => Error::InvalidArgument {
                    what: "--cohort".into(),
                    value: c.to_string(),
                    expected: if req.segment.is_some() {
                        format!("cohort {c} has no customers with {segment}")
                    } else {
                        format!("cohort {c} has no customers")
                    },
                },
                (w, None) => Error::InvalidArgument {
                    what: if req.segment.is_some() { "--segment" } else { "--month" }.into(),
                    value: if req.segment.is_some() {
                        segment.clone()
                    } else {
                        req.month.to_string()
                    },
                    expected: format!(
                        "{} has no {}{table} row for {segment} (segment values with rows that month: {})",
                        req.month,
                        w.map(|w| format!("{w}-month ")).unwrap_or_default(),
                        segment_values(&frame)?
                    ),
                },
            })
        }
        n => Err(Error::NotAnOutput {
            output: output.display(),
            reason: format!("{table} has {n} rows for one key at {}", req.month),
        }),
    }
}

fn segment_values(frame: &DataFrame) -> Result<String> {
    let (names, values) = (frame.column(SEGMENT_NAME)?.str()?, frame.column(SEGMENT_VALUE)?.str()?);
    let mut keys: Vec<String> = names
        .iter()
        .zip(values.iter())
        .map(|(n, v)| format!("{}={}", n.unwrap_or(""), v.unwrap_or("")))
        .collect();
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    let more = keys.len().saturating_sub(20);
    keys.truncate(20);
    if more > 0 {
        keys.push(format!("and {more} more"));
    }
    Ok(keys.join(", "))
}

fn missing_table(output: &Published, table: &str, month: Month) -> Error {
    Error::NotAnOutput {
        output: output.display(),
        reason: format!("{table} has no partition for {month}"),
    }
}

/// The customer_months rows of a month, of one segment value or all.
fn customer_rows(output: &Published, month: Month, segment: Option<&(String, String)>) -> Result<Vec<Row>> {
    let frame = output
        .partition_cents(CUSTOMER_MONTHS.name, month)?
        .ok_or_else(|| missing_table(output, CUSTOMER_MONTHS.name, month))?;
    let frame = match segment {
        Some((name, value)) => frame
            .lazy()
            .filter(col(name.as_str()).eq(lit(value.clone())))
            .collect()?,
        None => frame,
    };
    let needed = |name: &str| {
        frame.column(name).map_err(|_| Error::NotAnOutput {
            output: output.display(),
            reason: format!(
                "customer_months has no column '{name}': it was written by an older nrr, before the audit trail carried every FX impact"
            ),
        })
    };
    let ids = needed(CUSTOMER_ID)?.str()?.clone();
    let cohorts = needed(COHORT_MONTH)?.cast(&DataType::Int32)?;
    let cohorts = cohorts.i32()?;
    let movements = needed(MOVEMENT)?.str()?.clone();
    let money: Vec<Int64Chunked> = [MRR, PREV_MRR, FX_MRR, FX_MRR_3M, FX_MRR_12M, FX_MRR_COHORT]
        .iter()
        .map(|c| Ok(needed(c)?.i64()?.clone()))
        .collect::<Result<_>>()?;
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let name = movements.get(i).unwrap_or("");
        let movement = Movement::parse(name).ok_or_else(|| Error::NotAnOutput {
            output: output.display(),
            reason: format!("customer_months of {month} has movement '{name}'"),
        })?;
        let get = |c: usize| money[c].get(i).unwrap_or(0);
        rows.push(Row {
            id: ids.get(i).unwrap_or("").to_string(),
            cohort: cohorts.get(i).unwrap_or(i32::MIN),
            mrr: get(0),
            prev: get(1),
            fx: [get(2), get(3), get(4), get(5)],
            movement,
        });
    }
    Ok(rows)
}

/// A signed amount as the second operand of a sum: `+ 1.00` or `− 2.00`.
fn plus(v: i64) -> String {
    if v < 0 {
        format!("− {}", money(-v))
    } else {
        format!("+ {}", money(v))
    }
}

fn percent(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |r| format!("{:.2}%", r * 100.0))
}

/// The explanation as text for people.
pub fn render(ex: &Explanation) -> String {
    let mut out = String::new();
    let who = if ex.segment_name == ALL {
        "all customers".to_string()
    } else {
        format!("{}={}", ex.segment_name, ex.segment_value)
    };
    let what = match ex.kind {
        Kind::Monthly => format!("Monthly MRR bridge {} (base month {})", ex.month, ex.base_month),
        Kind::Window => format!(
            "{}-month NRR at {} (base month {})",
            ex.window_months.unwrap_or_default(),
            ex.month,
            ex.base_month
        ),
        Kind::Cohort => format!(
            "Cohort {} at {} ({} months since cohort)",
            ex.cohort_month.as_deref().unwrap_or(""),
            ex.month,
            ex.months_since_cohort.unwrap_or_default()
        ),
    };
    let _ = writeln!(out, "{what}, {who}, in {}", ex.currency);
    if ex.matches {
        let _ = writeln!(out, "Recomputed from customer_months: matches {}.", ex.table);
    } else {
        let _ = writeln!(out, "Recomputed from customer_months: DOES NOT MATCH {}:", ex.table);
        for m in &ex.mismatches {
            let _ = writeln!(
                out,
                "  {}: table {}, recomputed {}",
                m.column,
                m.table.show(),
                m.recomputed.show()
            );
        }
    }
    let _ = writeln!(out);
    let lines = |out: &mut String, terms: &[Term]| {
        for (i, t) in terms.iter().enumerate() {
            let sign = match (i, t.term) {
                (0, _) => " ",
                (_, "contraction" | "churn") => "−",
                (_, "end" | "retained" | "mrr") => "=",
                (_, "gross_retained") => " ",
                _ => "+",
            };
            let label = t.term.replace('_', " ");
            let customers = t
                .customers
                .map(|n| format!("  ({n} customer{})", if n == 1 { "" } else { "s" }))
                .unwrap_or_default();
            let _ = writeln!(out, "  {sign} {label:<16}{:>18}{customers}", money(t.mrr));
        }
    };
    lines(&mut out, &ex.terms);
    if ex.kind == Kind::Cohort {
        let _ = writeln!(
            out,
            "\n  {}'s own movements of the cohort (the cell's movement columns):",
            ex.month
        );
        lines(&mut out, &ex.month_movements);
    }
    let _ = writeln!(out);
    for f in &ex.formulas {
        let name = match f.name {
            "nrr" => "NRR",
            "grr" => "GRR",
            "nrr_with_fx" => "NRR with FX",
            "logo_retention" => "Logo retention",
            _ => "Bridge",
        };
        if f.name == "bridge" {
            let _ = writeln!(out, "  {name:<15}{}: {}", f.rule, f.filled);
        } else {
            let _ = writeln!(out, "  {name:<15}= {} = {} = {}", f.rule, f.filled, percent(f.value));
        }
    }
    for c in &ex.contributors {
        let _ = writeln!(out);
        let share = c
            .top10_share
            .map(|s| format!("; the top {CONCENTRATION_TOP} make {:.1}% of it", s * 100.0))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}: {} from {} customer{}{share}",
            c.term,
            money(c.total),
            c.customers,
            if c.customers == 1 { "" } else { "s" }
        );
        if c.top.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:<24}{:>16}{:>16}{:>16}",
            "customer",
            format!("MRR {}", ex.base_month),
            format!("MRR {}", ex.month),
            c.term
        );
        for p in &c.top {
            let _ = writeln!(
                out,
                "  {:<24}{:>16}{:>16}{:>16}",
                p.customer_id,
                money(p.base_mrr),
                money(p.mrr),
                money(p.amount)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(id: &str, amount: i64) -> Contributor {
        Contributor {
            customer_id: id.into(),
            base_mrr: 0,
            mrr: 0,
            amount,
        }
    }

    #[test]
    fn contributors_are_largest_first_and_concentration_counts_the_top_ten() {
        let mut all: Vec<Contributor> = (0..12).map(|i| who(&format!("c{i:02}"), 100)).collect();
        all.push(who("big", 800));
        all.push(who("none", 0));
        let c = contributors("churn", all, 3);
        assert_eq!(c.customers, 13, "customers with an amount");
        assert_eq!(c.total, 2_000);
        let ids: Vec<&str> = c.top.iter().map(|p| p.customer_id.as_str()).collect();
        assert_eq!(ids, ["big", "c00", "c01"], "ties go by customer id");
        // Top ten: 800 + 9 × 100 of 2,000.
        assert_eq!(c.top10_share, Some(1_700.0 / 2_000.0));
    }

    #[test]
    fn fx_ranks_by_size_either_way() {
        let c = contributors("fx", vec![who("a", 50), who("b", -300), who("c", 100)], 2);
        let ids: Vec<&str> = c.top.iter().map(|p| p.customer_id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        assert_eq!(c.total, -150);
        assert_eq!(c.top10_share, Some(1.0));
        assert_eq!(contributors("fx", vec![], 2).top10_share, None);
    }
}
