//! Invariants that must hold on any input, checked on generated data read
//! back from the written Parquet: bridges reconcile, segments add up to the
//! totals, windows agree with movements, cohorts start at 100%, and month-end
//! MRR matches a direct recomputation from the raw snapshots.

use std::path::Path;

use nrr::engine::currency::Decimal;
use nrr::generate::{generate, GenerateOptions};
use nrr::{job, Month};
use polars::prelude::*;

use crate::util::*;

/// Published money columns as Int64 cents, so invariants are integer checks.
fn as_cents(frame: DataFrame) -> DataFrame {
    let mut frame = frame;
    let names: Vec<String> = frame
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Decimal(..)))
        .map(|c| c.name().to_string())
        .collect();
    for name in names {
        let values = cents(&frame, &name);
        frame.with_column(Column::new(name.as_str().into(), values)).unwrap();
    }
    frame
}

/// The `month` column as days since 1970-01-01.
fn days(frame: &DataFrame) -> Vec<i32> {
    epoch_days(frame, "month")
}

fn run_generated(dir: &Path, customers: usize, months: u32, daily: bool, seed: u64) -> std::path::PathBuf {
    let data = dir.join("data");
    generate(&GenerateOptions {
        customers,
        months,
        daily,
        seed,
        start: Month::from_ym(2023, 11),
        output: data.clone(),
    })
    .unwrap();
    let out = dir.join("out");
    job::run(&config(
        &data.join("snapshots"),
        &out,
        &["plan", "region"],
        Some(&data.join("fx_rates.parquet")),
    ))
    .unwrap();
    out
}

fn check_all(dir: &Path, out: &Path) {
    let movements = as_cents(read_table(out, "mrr_movements"));
    let summary = as_cents(read_table(out, "nrr_summary"));
    let matrix = as_cents(read_table(out, "cohort_matrix"));
    let customer_months = as_cents(read_table(out, "customer_months"));
    let wide = read_table(out, "nrr_matrix_wide");
    assert!(movements.height() > 0 && matrix.height() > 0 && summary.height() > 0);

    // 1. Every bridge reconciles, with the FX line.
    let broken = movements
        .clone()
        .lazy()
        .filter(
            (col("mrr_start") + col("mrr_new") + col("mrr_reactivation") + col("mrr_expansion")
                - col("mrr_contraction")
                - col("mrr_churn")
                + col("mrr_fx"))
            .neq(col("mrr_end")),
        )
        .collect()
        .unwrap();
    assert_eq!(broken.height(), 0, "unreconciled rows:\n{broken}");
    // Customer counts bridge too: end = start + new + reactivated - churned.
    let broken = movements
        .clone()
        .lazy()
        .filter(
            (col("customers_start") + col("customers_new") + col("customers_reactivated") - col("customers_churned"))
                .neq(col("customers_end")),
        )
        .collect()
        .unwrap();
    assert_eq!(broken.height(), 0, "customer counts do not bridge:\n{broken}");
    // NRR with FX is the ratio at actual rates: (end − new − reactivation) / start.
    let start = ints(&movements, "mrr_start");
    let retained_at_actual: Vec<i64> = ints(&movements, "mrr_end")
        .iter()
        .zip(ints(&movements, "mrr_new"))
        .zip(ints(&movements, "mrr_reactivation"))
        .map(|((end, new), reactivation)| end - new - reactivation)
        .collect();
    let expected: Vec<Option<f64>> = retained_at_actual
        .iter()
        .zip(&start)
        .map(|(r, s)| (*s > 0).then(|| *r as f64 / *s as f64))
        .collect();
    assert_eq!(floats(&movements, "nrr_with_fx"), expected);
    assert!(
        ints(&movements, "mrr_fx").iter().any(|fx| *fx != 0),
        "moving rates give an FX line"
    );

    // 2. Each segment's values add up to the totals, for every additive column.
    let additive: Vec<&str> = movements
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .filter(|n| n.starts_with("mrr_") || n.starts_with("customers_"))
        .collect();
    let totals = movements.clone().lazy().filter(col("segment_name").eq(lit("all")));
    for segment in ["plan", "region"] {
        let sums = movements
            .clone()
            .lazy()
            .filter(col("segment_name").eq(lit(segment)))
            .group_by([col("month")])
            .agg(additive.iter().map(|c| col(*c).sum()).collect::<Vec<_>>());
        let joined = totals
            .clone()
            .join(
                sums,
                [col("month")],
                [col("month")],
                JoinArgs::new(JoinType::Inner).with_suffix(Some("_seg".into())),
            )
            .collect()
            .unwrap();
        assert_eq!(joined.height(), movements.column("month").unwrap().n_unique().unwrap());
        for c in &additive {
            let a = ints(&joined, c);
            let b = ints(&joined, &format!("{c}_seg"));
            assert_eq!(a, b, "{segment}: {c} does not sum to the total");
        }
    }

    // 3. The 1-month window equals the month's movements.
    let w1 = summary.clone().lazy().filter(col("window_months").eq(lit(1_i64)));
    let keys = [col("month"), col("segment_name"), col("segment_value")];
    let joined = movements
        .clone()
        .lazy()
        .join(
            w1,
            keys.clone(),
            keys,
            JoinArgs::new(JoinType::Inner).with_suffix(Some("_w1".into())),
        )
        .collect()
        .unwrap();
    assert_eq!(
        joined.height(),
        movements.height()
            - movements
                .clone()
                .lazy()
                .filter(col("month").eq(col("month").min()))
                .collect()
                .unwrap()
                .height()
    );
    assert_eq!(floats(&joined, "nrr"), floats(&joined, "nrr_w1"));
    assert_eq!(floats(&joined, "grr"), floats(&joined, "grr_w1"));
    assert_eq!(floats(&joined, "nrr_with_fx"), floats(&joined, "nrr_with_fx_w1"));
    assert_eq!(ints(&joined, "mrr_fx"), ints(&joined, "fx_mrr"));
    assert_eq!(ints(&joined, "mrr_start"), ints(&joined, "base_mrr"));
    assert_eq!(ints(&joined, "mrr_churn"), ints(&joined, "churn_mrr"));

    // 4. Cohorts start at 100% and follow their own bridge month to month.
    let m0 = matrix
        .clone()
        .lazy()
        .filter(col("months_since_cohort").eq(lit(0_i64)))
        .collect()
        .unwrap();
    assert!(m0.height() > 0);
    for column in ["nrr", "grr", "logo_retention"] {
        assert!(
            floats(&m0, column).iter().all(|v| *v == Some(1.0)),
            "cohort month-0 {column} != 1"
        );
    }
    let cohort_keys = [col("cohort_month"), col("segment_name"), col("segment_value")];
    let next = matrix
        .clone()
        .lazy()
        .sort(
            ["cohort_month", "segment_name", "segment_value", "months_since_cohort"],
            Default::default(),
        )
        .with_column(
            col("mrr")
                .shift(lit(1))
                .over(cohort_keys.clone())
                .unwrap()
                .alias("prev"),
        )
        .filter(col("months_since_cohort").gt(lit(0_i64)))
        .filter(
            (col("prev") + col("mrr_reactivation") + col("mrr_expansion") - col("mrr_contraction") - col("mrr_churn")
                + col("mrr_fx"))
            .neq(col("mrr")),
        )
        .collect()
        .unwrap();
    assert_eq!(next.height(), 0, "cohort rows that do not bridge:\n{next}");
    let with_fx: Vec<Option<f64>> = ints(&matrix, "mrr")
        .iter()
        .zip(ints(&matrix, "cohort_mrr"))
        .map(|(m, c)| Some(*m as f64 / c as f64))
        .collect();
    assert_eq!(floats(&matrix, "nrr_with_fx"), with_fx);
    let m00: Vec<_> = floats(&wide, "m00");
    assert!(!m00.is_empty() && m00.iter().all(|v| *v == Some(1.0)));

    // 5. customer_months adds up to the bridge.
    let by_month = customer_months
        .clone()
        .lazy()
        .group_by([col("month")])
        .agg([
            col("mrr").sum().alias("end"),
            col("prev_mrr").sum().alias("start"),
            col("fx_mrr").sum().alias("fx"),
        ])
        .sort(["month"], Default::default())
        .collect()
        .unwrap();
    let all = movements
        .clone()
        .lazy()
        .filter(col("segment_name").eq(lit("all")))
        .collect()
        .unwrap();
    let totals_by_month: std::collections::BTreeMap<i32, (i64, i64, i64)> = days(&all)
        .into_iter()
        .zip(ints(&all, "mrr_end"))
        .zip(ints(&all, "mrr_start"))
        .zip(ints(&all, "mrr_fx"))
        .map(|(((d, e), s), f)| (d, (e, s, f)))
        .collect();
    for (((day, end), start), fx) in days(&by_month)
        .into_iter()
        .zip(ints(&by_month, "end"))
        .zip(ints(&by_month, "start"))
        .zip(ints(&by_month, "fx"))
    {
        assert_eq!(
            totals_by_month[&day],
            (end, start, fx),
            "customer_months vs mrr_movements on day {day}"
        );
    }
    // The window FX columns add up to each window's fx_mrr, month by month.
    for (window, column) in [(3_i64, "fx_mrr_3m"), (12, "fx_mrr_12m")] {
        let rows = summary
            .clone()
            .lazy()
            .filter(
                col("window_months")
                    .eq(lit(window))
                    .and(col("segment_name").eq(lit("all"))),
            )
            .select([col("month"), col("fx_mrr")])
            .join(
                customer_months
                    .clone()
                    .lazy()
                    .group_by([col("month")])
                    .agg([col(column).sum().alias("sum")]),
                [col("month")],
                [col("month")],
                JoinArgs::new(JoinType::Left),
            )
            .collect()
            .unwrap();
        assert!(rows.height() > 0 || window == 12, "{window}-month rows");
        let sums: Vec<i64> = rows
            .column("sum")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect();
        assert_eq!(ints(&rows, "fx_mrr"), sums, "{column} vs nrr_summary");
    }

    // FX impact only where the customer is active in both months.
    let stray = customer_months
        .clone()
        .lazy()
        .filter(
            col("movement")
                .is_in(
                    lit(Series::new("m".into(), ["new", "reactivation", "churn"])).implode(false),
                    false,
                )
                .and(col("fx_mrr").neq(lit(0_i64))),
        )
        .collect()
        .unwrap();
    assert_eq!(
        stray.height(),
        0,
        "FX impact on new, reactivation or churn rows:\n{stray}"
    );

    // 6. Month-end MRR straight from the raw snapshots, with a plain loop.
    let raw = LazyFrame::scan_parquet(
        PlRefPath::new(format!("{}/data/snapshots/**/*.parquet", dir.display()).as_str()),
        ScanArgsParquet {
            hive_options: HiveOptions::new_enabled(),
            ..Default::default()
        },
    )
    .unwrap()
    .collect()
    .unwrap();
    let fx = LazyFrame::scan_parquet(
        PlRefPath::new(format!("{}/data/fx_rates.parquet", dir.display()).as_str()),
        Default::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    let mut rates = std::collections::HashMap::new();
    for i in 0..fx.height() {
        let day = fx
            .column("month")
            .unwrap()
            .cast(&DataType::Int32)
            .unwrap()
            .i32()
            .unwrap()
            .get(i)
            .unwrap();
        let cur = fx
            .column("currency")
            .unwrap()
            .str()
            .unwrap()
            .get(i)
            .unwrap()
            .to_string();
        let rate = fx.column("rate").unwrap().f64().unwrap().get(i).unwrap();
        rates.insert((Month::from_epoch_days(day).unwrap(), cur), rate);
    }
    let dates = raw.column("snapshot_date").unwrap().cast(&DataType::Int32).unwrap();
    let dates = dates.i32().unwrap();
    let mut close = std::collections::BTreeMap::new();
    for d in dates.into_no_null_iter() {
        let e = close.entry(Month::from_epoch_days(d).unwrap()).or_insert(d);
        *e = (*e).max(d);
    }
    let mut expected: std::collections::BTreeMap<Month, i64> = close.keys().map(|m| (*m, 0)).collect();
    let (mrr, cur, status, customer) = (
        raw.column("mrr").unwrap().f64().unwrap(),
        raw.column("currency").unwrap().str().unwrap(),
        raw.column("status").unwrap().str().unwrap(),
        raw.column("customer_id").unwrap().str().unwrap(),
    );
    let mut local = Local::new();
    for i in 0..raw.height() {
        let d = dates.get(i).unwrap();
        let m = Month::from_epoch_days(d).unwrap();
        let st = status.get(i).unwrap_or("").to_lowercase();
        if close[&m] != d || nrr::engine::statuses::ZERO_MRR_STATUSES.contains(&st.as_str()) {
            continue;
        }
        let c = cur.get(i).unwrap();
        let local_cents = Decimal::from_f64(mrr.get(i).unwrap())
            .unwrap()
            .times_rate_in_cents(Decimal::ONE)
            .unwrap();
        *local
            .entry((customer.get(i).unwrap().to_string(), m))
            .or_default()
            .entry(c.to_string())
            .or_default() += local_cents;
        let rate = if c == "USD" { 1.0 } else { rates[&(m, c.to_string())] };
        let cents = Decimal::from_f64(mrr.get(i).unwrap())
            .unwrap()
            .times_rate_in_cents(Decimal::from_f64(rate).unwrap())
            .unwrap();
        *expected.get_mut(&m).unwrap() += cents;
    }
    let got: Vec<i64> = ints(&all, "mrr_end");
    assert_eq!(
        got,
        expected.values().copied().collect::<Vec<_>>(),
        "month-end MRR differs from a direct recomputation"
    );
    assert!(!local.is_empty());
    unchanged_local_mrr_is_flat(&local, &customer_months);
}

/// A customer's counted local amounts by month and currency, from the raw snapshots.
type Local = std::collections::BTreeMap<(String, Month), std::collections::BTreeMap<String, i64>>;

/// No customer whose local-currency MRR did not change is classified
/// expansion or contraction: a rate move alone is flat, with an FX impact.
fn unchanged_local_mrr_is_flat(local: &Local, customer_months: &DataFrame) {
    let customers = strings(customer_months, "customer_id");
    let months = days(customer_months);
    let movements = strings(customer_months, "movement");
    let (mut checked, mut with_fx) = (0, 0);
    let fx = ints(customer_months, "fx_mrr");
    for i in 0..customers.len() {
        let m = Month::from_epoch_days(months[i]).unwrap();
        let (Some(cur), Some(prev)) = (
            local.get(&(customers[i].clone(), m)),
            local.get(&(customers[i].clone(), m.plus(-1))),
        ) else {
            continue;
        };
        if cur == prev && cur.values().any(|v| *v > 0) && movements[i] != "reactivation" && movements[i] != "new" {
            assert_eq!(movements[i], "flat", "{} in {m}: local MRR unchanged", customers[i]);
            checked += 1;
            with_fx += usize::from(fx[i] != 0);
        }
    }
    assert!(checked > 0 && with_fx > 0, "checked {checked}, with FX {with_fx}");
}

#[test]
fn invariants_hold_on_generated_monthly_data() {
    for seed in [11, 12, 13] {
        let dir = tempdir();
        let out = run_generated(dir.path(), 300, 15, false, seed);
        check_all(dir.path(), &out);
    }
}

#[test]
fn invariants_hold_on_generated_daily_data() {
    let dir = tempdir();
    let out = run_generated(dir.path(), 80, 4, true, 14);
    check_all(dir.path(), &out);
}
