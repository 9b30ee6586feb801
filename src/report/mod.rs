//! The HTML report: one self-contained file (inline CSS, SVG drawn by inline
//! script, no network) with the NRR cohort heat-map, the MRR bridges of the
//! latest month and quarter, and trailing NRR/GRR lines, per segment.
//!
//! It reads the tables a run wrote (local or object store), so it shows
//! exactly the published numbers. [`ReportData`] is everything the charts
//! draw; tests pin it as JSON, the drawing itself is checked in a browser.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use crate::io::manifest::{self, Manifest};
use crate::io::store::Location;
use crate::io::write::read_partitions;
use crate::tables::{self, COHORT_MATRIX, DATA_QUALITY, MRR_MOVEMENTS, NRR_SUMMARY};
use crate::{Error, Month, Result};

/// Everything the report draws.
#[derive(Debug, Serialize)]
pub struct ReportData {
    /// nrr version that wrote the tables.
    pub version: String,
    /// As-of month (YYYY-MM).
    pub as_of: String,
    /// The snapshot day the as-of month stands on (empty for outputs of older versions).
    pub as_of_close_date: String,
    /// Whether the as-of month is month-to-date (its close day is before its last day).
    pub month_to_date: bool,
    /// First month of the timeline.
    pub timeline_first: String,
    /// Reporting currency.
    pub currency: String,
    /// Input fingerprint of the run.
    pub input_fingerprint: String,
    /// When the run finished.
    pub finished_at: String,
    /// Segment shown first (index into `segments`).
    pub selected: usize,
    /// One entry per (segment_name, segment_value), totals first.
    pub segments: Vec<Segment>,
    /// Data-quality findings up to the as-of month, warnings first (at most
    /// [`MAX_FINDINGS`]).
    pub findings: Vec<FindingRow>,
    /// How many findings there are in all.
    pub findings_total: usize,
}

/// The most findings a report lists; the data_quality table has them all.
pub const MAX_FINDINGS: usize = 200;

/// One data_quality row.
#[derive(Debug, Serialize)]
pub struct FindingRow {
    /// Month (YYYY-MM).
    pub month: String,
    /// The check.
    pub check: String,
    /// warning or info.
    pub severity: String,
    /// What was found.
    pub message: String,
}

/// The charts of one segment value.
#[derive(Debug, Serialize)]
pub struct Segment {
    /// Segment column (`all` for totals).
    pub name: String,
    /// Segment value (`all` for totals).
    pub value: String,
    /// Cohort heat-map rows, oldest cohort first.
    pub cohorts: Vec<CohortRow>,
    /// Cohort-MRR-weighted average by months since cohort.
    pub weighted: Vec<WeightedCell>,
    /// MRR bridge of the as-of month.
    pub month_bridge: Bridge,
    /// MRR bridge of the quarter holding the as-of month.
    pub quarter_bridge: Bridge,
    /// Trailing NRR/GRR by window (1, 3, 12 months).
    pub trends: Vec<Trend>,
}

/// One cohort of the heat-map.
#[derive(Debug, Serialize)]
pub struct CohortRow {
    /// Cohort month (YYYY-MM).
    pub cohort: String,
    /// Customers in the cohort.
    pub customers: i64,
    /// Cohort MRR in major units.
    pub mrr: f64,
    /// Cells by months since cohort, from 0.
    pub cells: Vec<Cell>,
}

/// One heat-map cell.
#[derive(Debug, Serialize)]
pub struct Cell {
    /// Months since cohort.
    pub k: i64,
    /// NRR.
    pub nrr: Option<f64>,
    /// GRR.
    pub grr: Option<f64>,
    /// Logo retention.
    pub logo: Option<f64>,
    /// Active customers.
    pub active: i64,
    /// MRR in major units.
    pub mrr: f64,
}

/// A cell of the weighted-average row.
#[derive(Debug, Serialize)]
pub struct WeightedCell {
    /// Months since cohort.
    pub k: i64,
    /// Σ mrr / Σ cohort_mrr over cohorts observed at k.
    pub nrr: Option<f64>,
    /// Σ gross retained / Σ cohort_mrr.
    pub grr: Option<f64>,
    /// Σ logo retention × cohort_mrr / Σ cohort_mrr.
    pub logo: Option<f64>,
}

/// An MRR bridge, major units.
#[derive(Debug, Serialize, Default)]
pub struct Bridge {
    /// What the bridge spans ("2024-12", "2024Q4").
    pub label: String,
    /// Start MRR.
    pub start: f64,
    /// New MRR.
    pub new: f64,
    /// Reactivation MRR.
    pub reactivation: f64,
    /// Expansion MRR.
    pub expansion: f64,
    /// Contraction MRR.
    pub contraction: f64,
    /// Churned MRR.
    pub churn: f64,
    /// FX impact (exchange-rate moves, signed).
    pub fx: f64,
    /// End MRR.
    pub end: f64,
}

/// NRR and GRR over time for one window.
#[derive(Debug, Serialize)]
pub struct Trend {
    /// Window in months.
    pub window: i64,
    /// Months (YYYY-MM).
    pub months: Vec<String>,
    /// NRR by month.
    pub nrr: Vec<Option<f64>>,
    /// GRR by month.
    pub grr: Vec<Option<f64>>,
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn i64s(frame: &DataFrame, name: &str) -> Result<Vec<i64>> {
    Ok(frame
        .column(name)?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

fn f64s(frame: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    Ok(frame.column(name)?.f64()?.iter().collect())
}

fn strs(frame: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(frame
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.unwrap_or("").to_string())
        .collect())
}

/// Reads the published tables and manifest under `root` into report data;
/// `selected` is a `NAME=VALUE` segment to show first.
pub fn load(root: &Location, selected: Option<&str>) -> Result<ReportData> {
    let manifest = manifest::read(root)?.ok_or_else(|| {
        Error::ManifestCheck(format!(
            "no {} in {}: run nrr first",
            manifest::MANIFEST,
            root.display("")
        ))
    })?;
    // A range run may leave newer partitions of an earlier run: the report
    // shows the months up to the manifest's as-of month.
    let as_of = Month::parse(&manifest.as_of).ok_or_else(|| Error::ManifestCheck("bad as_of".into()))?;
    let read = |spec: &tables::TableSpec| -> Result<DataFrame> {
        let frame = tables::unpublish(read_partitions(root, spec.name)?)?;
        let frame = frame.lazy().filter(col(tables::MONTH).lt_eq(lit(as_of.0))).collect()?;
        Ok(frame.sort(spec.order_by.to_vec(), SortMultipleOptions::default())?)
    };
    let mut data = build(
        &manifest,
        &read(&MRR_MOVEMENTS)?,
        &read(&NRR_SUMMARY)?,
        &read(&COHORT_MATRIX)?,
        selected,
    )?;
    // Outputs of versions before data_quality have no such folder.
    if !root.join(DATA_QUALITY.name).list()?.is_empty() {
        let (rows, total) = findings(&read(&DATA_QUALITY)?)?;
        data.findings = rows;
        data.findings_total = total;
    }
    Ok(data)
}

/// The findings to list, warnings first, and how many there are.
fn findings(frame: &DataFrame) -> Result<(Vec<FindingRow>, usize)> {
    let months = i64s(frame, tables::MONTH)?;
    let (checks, severities, messages) = (
        strs(frame, "check_name")?,
        strs(frame, "severity")?,
        strs(frame, "message")?,
    );
    let mut rows: Vec<FindingRow> = (0..frame.height())
        .map(|i| FindingRow {
            month: Month(months[i] as i32).to_string(),
            check: checks[i].clone(),
            severity: severities[i].clone(),
            message: messages[i].clone(),
        })
        .collect();
    rows.sort_by_key(|r| r.severity != "warning");
    let total = rows.len();
    rows.truncate(MAX_FINDINGS);
    Ok((rows, total))
}

/// Report data from the three tables (working types) and the manifest.
pub fn build(
    manifest: &Manifest,
    movements: &DataFrame,
    summary: &DataFrame,
    matrix: &DataFrame,
    selected: Option<&str>,
) -> Result<ReportData> {
    let as_of = Month::parse(&manifest.as_of).ok_or_else(|| Error::ManifestCheck("bad as_of".into()))?;
    let key = |names: &[String], values: &[String], i: usize| (names[i].clone(), values[i].clone());

    // Segments in table order, totals first.
    let (m_names, m_values) = (strs(movements, "segment_name")?, strs(movements, "segment_value")?);
    let mut order: Vec<(String, String)> = Vec::new();
    for i in 0..movements.height() {
        let k = key(&m_names, &m_values, i);
        if !order.contains(&k) {
            order.push(k);
        }
    }
    order.sort_by_key(|(n, v)| (n != crate::engine::segments::ALL, n.clone(), v.clone()));
    let mut segments: BTreeMap<(String, String), Segment> = order
        .iter()
        .map(|(n, v)| {
            let seg = Segment {
                name: n.clone(),
                value: v.clone(),
                cohorts: vec![],
                weighted: vec![],
                month_bridge: Bridge::default(),
                quarter_bridge: Bridge::default(),
                trends: vec![],
            };
            ((n.clone(), v.clone()), seg)
        })
        .collect();

    // Bridges: the as-of month, and its quarter (from its first month in the timeline).
    let months = i64s(movements, "month")?;
    let first = Month::parse(&manifest.timeline_first).unwrap_or(as_of);
    let quarter_start = Month(as_of.0 - as_of.0.rem_euclid(3)).max(first);
    // start, new, reactivation, expansion, contraction, churn, fx, end
    let cols: Vec<Vec<i64>> = crate::engine::bridge::BRIDGE_COLUMNS[7..]
        .iter()
        .map(|c| i64s(movements, c))
        .collect::<Result<_>>()?;
    // Sums in cents, converted once at the end so totals stay exact.
    let mut sums: BTreeMap<(String, String), [[i64; 8]; 2]> = BTreeMap::new();
    for i in 0..movements.height() {
        let m = Month(months[i] as i32);
        let acc = sums.entry(key(&m_names, &m_values, i)).or_default();
        for (b, from) in [as_of, quarter_start].into_iter().enumerate() {
            if m < from || m > as_of {
                continue;
            }
            if m == from {
                acc[b][0] = cols[0][i];
            }
            for c in 1..7 {
                acc[b][c] += cols[c][i];
            }
            if m == as_of {
                acc[b][7] = cols[7][i];
            }
        }
    }
    for (k, [month, quarter]) in sums {
        let Some(seg) = segments.get_mut(&k) else { continue };
        let bridge = |label: String, v: [i64; 8]| Bridge {
            label,
            start: money(v[0]),
            new: money(v[1]),
            reactivation: money(v[2]),
            expansion: money(v[3]),
            contraction: money(v[4]),
            churn: money(v[5]),
            fx: money(v[6]),
            end: money(v[7]),
        };
        seg.month_bridge = bridge(as_of.to_string(), month);
        seg.quarter_bridge = bridge(
            if quarter_start == Month(as_of.0 - as_of.0.rem_euclid(3)) {
                as_of.quarter_label()
            } else {
                format!("{} from {quarter_start}", as_of.quarter_label())
            },
            quarter,
        );
    }

    // Trends.
    let (s_names, s_values) = (strs(summary, "segment_name")?, strs(summary, "segment_value")?);
    let (s_months, s_windows) = (i64s(summary, "month")?, i64s(summary, "window_months")?);
    let (s_nrr, s_grr) = (f64s(summary, "nrr")?, f64s(summary, "grr")?);
    for i in 0..summary.height() {
        let Some(seg) = segments.get_mut(&key(&s_names, &s_values, i)) else {
            continue;
        };
        let w = s_windows[i];
        if !seg.trends.iter().any(|t| t.window == w) {
            seg.trends.push(Trend {
                window: w,
                months: vec![],
                nrr: vec![],
                grr: vec![],
            });
        }
        let trend = seg.trends.iter_mut().find(|t| t.window == w).expect("pushed");
        trend.months.push(Month(s_months[i] as i32).to_string());
        trend.nrr.push(s_nrr[i]);
        trend.grr.push(s_grr[i]);
    }

    // Heat-map and weighted row.
    let (c_names, c_values) = (strs(matrix, "segment_name")?, strs(matrix, "segment_value")?);
    let (cohort, since) = (i64s(matrix, "cohort_month")?, i64s(matrix, "months_since_cohort")?);
    let (customers, cohort_mrr) = (i64s(matrix, "cohort_customers")?, i64s(matrix, "cohort_mrr")?);
    let (active, mrr) = (i64s(matrix, "active_customers")?, i64s(matrix, "mrr")?);
    let (nrr, grr, logo) = (
        f64s(matrix, "nrr")?,
        f64s(matrix, "grr")?,
        f64s(matrix, "logo_retention")?,
    );
    let mut pooled: BTreeMap<(String, String), BTreeMap<i64, [f64; 4]>> = BTreeMap::new();
    let mut rows: Vec<usize> = (0..matrix.height()).collect();
    rows.sort_by_key(|i| (cohort[*i], since[*i]));
    for i in rows {
        let k = key(&c_names, &c_values, i);
        let Some(seg) = segments.get_mut(&k) else { continue };
        let label = Month(cohort[i] as i32).to_string();
        if seg.cohorts.last().is_none_or(|c| c.cohort != label) {
            seg.cohorts.push(CohortRow {
                cohort: label,
                customers: customers[i],
                mrr: money(cohort_mrr[i]),
                cells: vec![],
            });
        }
        let row = seg.cohorts.last_mut().expect("pushed");
        row.cells.push(Cell {
            k: since[i],
            nrr: nrr[i],
            grr: grr[i],
            logo: logo[i],
            active: active[i],
            mrr: money(mrr[i]),
        });
        let weight = cohort_mrr[i] as f64;
        let acc = pooled.entry(k).or_default().entry(since[i]).or_insert([0.0; 4]);
        acc[0] += weight;
        acc[1] += nrr[i].unwrap_or(0.0) * weight;
        acc[2] += grr[i].unwrap_or(0.0) * weight;
        acc[3] += logo[i].unwrap_or(0.0) * weight;
    }
    for (k, by_since) in pooled {
        if let Some(seg) = segments.get_mut(&k) {
            seg.weighted = by_since
                .into_iter()
                .map(|(k, [w, n, g, l])| {
                    let avg = |v: f64| (w > 0.0).then(|| v / w);
                    WeightedCell {
                        k,
                        nrr: avg(n),
                        grr: avg(g),
                        logo: avg(l),
                    }
                })
                .collect();
        }
    }

    let segments: Vec<Segment> = order.iter().filter_map(|k| segments.remove(k)).collect();
    let selected = match selected {
        None => 0,
        Some(text) => {
            let (name, value) = text.split_once('=').ok_or_else(|| Error::InvalidArgument {
                what: "--segment".into(),
                value: text.into(),
                expected: "use NAME=VALUE, e.g. plan=growth".into(),
            })?;
            segments
                .iter()
                .position(|s| s.name == name && s.value == value)
                .ok_or_else(|| Error::InvalidArgument {
                    what: "--segment".into(),
                    value: text.into(),
                    expected: format!(
                        "one of: {}",
                        segments
                            .iter()
                            .map(|s| format!("{}={}", s.name, s.value))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?
        }
    };
    Ok(ReportData {
        version: manifest.version.clone(),
        as_of: manifest.as_of.clone(),
        as_of_close_date: manifest.as_of_close_date.clone(),
        month_to_date: manifest.month_to_date,
        timeline_first: manifest.timeline_first.clone(),
        currency: manifest.reporting_currency.clone(),
        input_fingerprint: manifest.input_fingerprint.clone(),
        finished_at: manifest.finished_at.clone(),
        selected,
        segments,
        findings: Vec::new(),
        findings_total: 0,
    })
}

/// The data as JSON (what the golden tests pin).
pub fn to_json(data: &ReportData) -> Result<String> {
    serde_json::to_string_pretty(data).map_err(|e| Error::Invariant(e.to_string()))
}

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");
const DEFINITIONS: &str = include_str!("definitions.html");

/// The self-contained HTML page.
pub fn html(data: &ReportData) -> Result<String> {
    // `</` cannot end the script early once escaped.
    let json = serde_json::to_string(data)
        .map_err(|e| Error::Invariant(e.to_string()))?
        .replace("</", "<\\/");
    let title = format!("NRR report, as of {}", data.as_of);
    let quality = quality_section(data);
    let month_to_date = if data.month_to_date {
        format!(
            r#" · <strong class="mtd">{} is month-to-date</strong> (snapshot of {})"#,
            data.as_of, data.as_of_close_date
        )
    } else {
        String::new()
    };
    Ok(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body data-render="pending">
<header>
  <h1>Net Revenue Retention</h1>
  <p class="meta">As of <strong>{as_of}</strong>{month_to_date} · timeline {first} to {as_of} · amounts in {currency}</p>
  <label class="control">Segment <select id="segment"></select></label>
</header>
<main>
  <section id="heatmap-section">
    <h2>Cohort retention</h2>
    <div class="toolbar" role="radiogroup" aria-label="Metric">
      <label><input type="radio" name="metric" value="nrr" checked> NRR</label>
      <label><input type="radio" name="metric" value="grr"> GRR</label>
      <label><input type="radio" name="metric" value="logo"> Logo retention</label>
    </div>
    <p class="hint">Rows are cohorts (first paying month), columns months since the cohort. Purple is above 100%, orange below (a colour-blind-safe scale). The last row averages the cohorts weighted by cohort MRR.</p>
    <div class="scroll"><table id="heatmap"></table></div>
    <div id="legend"></div>
  </section>
  <section id="bridges">
    <h2>MRR bridge</h2>
    <div class="charts"><figure id="bridge-month"></figure><figure id="bridge-quarter"></figure></div>
  </section>
  {quality}
  <section id="trends">
    <h2>Trailing NRR and GRR</h2>
    <p class="hint">Solid: NRR. Dashed: GRR. The shaded band between them is expansion masking churn.</p>
    <div class="charts" id="trend-charts"></div>
  </section>
</main>
<footer>
  {DEFINITIONS}
  <p class="meta">Written by nrr {version} from a run that finished {finished} · input fingerprint <code>{fingerprint}</code></p>
</footer>
<script id="report-data" type="application/json">{json}</script>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        as_of = data.as_of,
        first = data.timeline_first,
        currency = data.currency,
        version = data.version,
        finished = data.finished_at,
        fingerprint = data.input_fingerprint,
    ))
}

/// Text for HTML: `&`, `<`, `>` and quotes escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The data-quality section: counts and the findings, warnings first.
fn quality_section(data: &ReportData) -> String {
    if data.findings_total == 0 {
        return r#"<section id="data-quality"><h2>Data quality</h2><p class="hint">No findings.</p></section>"#.into();
    }
    let warnings = data.findings.iter().filter(|f| f.severity == "warning").count();
    let rows: String = data
        .findings
        .iter()
        .map(|f| {
            format!(
                r#"<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                escape(&f.severity),
                escape(&f.month),
                escape(&f.severity),
                escape(&f.check),
                escape(&f.message)
            )
        })
        .collect();
    let shown = if data.findings.len() < data.findings_total {
        format!(
            " The first {} are listed; the data_quality table holds them all.",
            data.findings.len()
        )
    } else {
        String::new()
    };
    format!(
        r#"<section id="data-quality"><h2>Data quality</h2><p class="hint">{} finding(s), {warnings} warning(s) among those listed. Findings never change the numbers; warnings point at data worth checking.{shown}</p><div class="scroll"><table id="findings"><thead><tr><th>Month</th><th>Severity</th><th>Check</th><th>Finding</th></tr></thead><tbody>{rows}</tbody></table></div></section>"#,
        data.findings_total
    )
}
