//! Month close: which day a snapshot stands on, which snapshot stands for a
//! month, and which months exist.
//!
//! Rules (docs/METRICS.md, "Month close" and "Timeline"):
//! - a snapshot's day is its `snapshot_date` as written for a DATE or a
//!   naive TIMESTAMP, and the wall-clock date in the business time zone
//!   (`--timezone`, default UTC) for a TIMESTAMP with a time zone;
//! - close(M) is the latest snapshot day inside calendar month M over the
//!   whole input, and a subscription's MRR in M is its `mrr` on that day;
//! - the timeline runs from the first month in the data to the as-of month,
//!   and every month in it must have a snapshot.
//!
//! The same functions serve the rows and the reader's folder pruning, so
//! how the files are laid out never changes a number.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use polars::prelude::*;

use crate::snapshots::Sources;
use crate::{Error, Month, Result};

/// The months a run reports on, first and last included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// First month in the data.
    pub first: Month,
    /// The as-of month.
    pub last: Month,
}

impl Timeline {
    /// Every month of the timeline, in order.
    pub fn months(&self) -> impl Iterator<Item = Month> {
        self.first.through(self.last)
    }

    /// Number of months.
    pub fn len(&self) -> usize {
        (self.last.since(self.first) + 1) as usize
    }

    /// Whether the timeline is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.last < self.first
    }
}

/// What the engine knows of the input before it folds the months: the
/// timeline, each close day, the day each is checked against, the files and
/// which optional columns they have. The rows come month by month.
pub struct Closed {
    /// The timeline.
    pub timeline: Timeline,
    /// close(M) of every timeline month.
    pub close_dates: BTreeMap<Month, NaiveDate>,
    /// For months with an earlier snapshot day, that day's counted
    /// subscriptions: what the close day is checked against.
    pub earlier: BTreeMap<Month, DayTotals>,
    /// The files the rows came from, for messages.
    pub sources: Sources,
    /// Which optional columns the files have.
    pub columns: crate::snapshots::ColumnsFound,
}

/// How the close day of each month is chosen and checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CloseOptions {
    /// The largest drop in counted subscriptions from the day compared with
    /// to the close day (a fraction; 1 disables the check). `None`: 10%
    /// against an earlier day of the month, 50% against the previous month.
    pub max_drop: Option<f64>,
    /// Months closed on a chosen day instead of their latest one.
    pub pinned: BTreeMap<Month, NaiveDate>,
}

/// The default largest drop against an earlier snapshot day of the same month.
pub const DEFAULT_MAX_DROP_IN_MONTH: f64 = 0.10;
/// The default largest drop against the previous month's close (one snapshot day per month).
pub const DEFAULT_MAX_DROP_MONTH_TO_MONTH: f64 = 0.50;

/// The days of a month that matter: its close and the latest day before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthDays {
    /// close(M): the latest snapshot day of M, or the pinned one.
    pub close: NaiveDate,
    /// The latest snapshot day of M before close(M), if any.
    pub earlier: Option<NaiveDate>,
}

/// close(M) and the day before it for every month with a snapshot day,
/// pins applied. A pinned day with no snapshot is bad usage.
pub fn month_days(
    days: impl IntoIterator<Item = NaiveDate>,
    pinned: &BTreeMap<Month, NaiveDate>,
) -> Result<BTreeMap<Month, MonthDays>> {
    let mut by_month: BTreeMap<Month, Vec<NaiveDate>> = BTreeMap::new();
    for day in days {
        by_month.entry(Month::from_date(day)).or_default().push(day);
    }
    for (month, pin) in pinned {
        if by_month.get(month).is_some_and(|days| !days.contains(pin)) {
            return Err(Error::InvalidArgument {
                what: "--close-day".into(),
                value: format!("{month}={pin}"),
                expected: format!("{pin} has no snapshot: pin {month} to a day the input has"),
            });
        }
    }
    Ok(by_month
        .into_iter()
        .map(|(month, mut days)| {
            days.sort_unstable();
            days.dedup();
            let close = pinned.get(&month).copied().unwrap_or(days[days.len() - 1]);
            let earlier = days.iter().rev().find(|d| **d < close).copied();
            (month, MonthDays { close, earlier })
        })
        .collect())
}

/// Counted subscriptions on one snapshot day, and their MRR as exported
/// (major units, currencies not converted): what a partial export loses.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DayTotals {
    /// The day.
    pub day: NaiveDate,
    /// Counted subscription rows.
    pub subscriptions: u64,
    /// Their `mrr`, summed as exported.
    pub mrr: f64,
}

/// A close day let through although it has markedly fewer subscriptions
/// than the day it was compared with, or a month closed on a pinned day.
#[derive(Clone, Debug, PartialEq)]
pub struct CloseException {
    /// The month.
    pub month: Month,
    /// The close day and its totals.
    pub close: DayTotals,
    /// The day compared with and its totals.
    pub compared: DayTotals,
    /// Why the month stands: `--max-close-drop` or `--close-day`.
    pub by: &'static str,
}

/// The partial-close-day check: for every timeline month, the close day's
/// counted subscriptions against the latest earlier snapshot day of the
/// month or, with no such day, against the previous month's close. A drop
/// beyond the limit stops the run; one let through by `--max-close-drop`,
/// and every pinned month, is returned to be reported.
pub fn check_close_days(
    close: &BTreeMap<Month, DayTotals>,
    earlier: &BTreeMap<Month, DayTotals>,
    options: &CloseOptions,
) -> Result<Vec<CloseException>> {
    let mut exceptions = Vec::new();
    for (month, totals) in close {
        let compared = match earlier.get(month) {
            Some(e) => Some((*e, DEFAULT_MAX_DROP_IN_MONTH)),
            None => close
                .get(&month.plus(-1))
                .map(|p| (*p, DEFAULT_MAX_DROP_MONTH_TO_MONTH)),
        };
        // Every pinned month is reported, compared with something or not.
        if options.pinned.contains_key(month) {
            exceptions.push(CloseException {
                month: *month,
                close: *totals,
                compared: compared.map_or(*totals, |c| c.0),
                by: "--close-day",
            });
            continue;
        }
        let Some((compared, default)) = compared.filter(|c| c.0.subscriptions > 0) else {
            continue;
        };
        let drop = 1.0 - totals.subscriptions as f64 / compared.subscriptions as f64;
        let limit = options.max_drop.unwrap_or(default);
        if drop > limit {
            return Err(Error::PartialCloseDay {
                month: *month,
                close_day: totals.day,
                close_subscriptions: totals.subscriptions,
                close_mrr: totals.mrr,
                compared_day: compared.day,
                compared_subscriptions: compared.subscriptions,
                compared_mrr: compared.mrr,
                drop,
                limit,
            });
        }
        if drop > default {
            exceptions.push(CloseException {
                month: *month,
                close: *totals,
                compared,
                by: "--max-close-drop",
            });
        }
    }
    Ok(exceptions)
}

/// The earliest snapshot day accepted.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => unreachable!(),
};
/// The latest snapshot day accepted.
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => unreachable!(),
};

/// Whether a snapshot day is in the accepted range (years 1900–9999): a
/// date outside it is a typo or a unit error, and months are `YYYY-MM`.
pub fn day_in_range(day: NaiveDate) -> bool {
    (FIRST_DAY..=LAST_DAY).contains(&day)
}

/// The business time zone: the zone whose calendar decides the day of a
/// zoned timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusinessTz {
    /// A fixed offset east of UTC, in seconds (UTC is 0).
    Fixed(i32),
    /// A zone of the IANA database, such as `America/New_York`.
    Named(chrono_tz::Tz),
}

impl Default for BusinessTz {
    fn default() -> Self {
        BusinessTz::Fixed(0)
    }
}

impl BusinessTz {
    /// Parses `UTC`, a fixed offset (`+05:30`, `-0800`, `+01`) or an IANA name.
    pub fn parse(text: &str) -> Option<BusinessTz> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("utc") || text == "Z" {
            return Some(BusinessTz::Fixed(0));
        }
        if let Some(sign) = text.chars().next().filter(|c| *c == '+' || *c == '-') {
            let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
            if !digits.chars().all(|c| c.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
                return None;
            }
            let hours: i32 = digits[..2].parse().ok()?;
            let minutes: i32 = digits
                .get(2..)
                .filter(|m| !m.is_empty())
                .map_or(Some(0), |m| m.parse().ok())?;
            if hours > 14 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            return Some(BusinessTz::Fixed(if sign == '-' { -seconds } else { seconds }));
        }
        text.parse::<chrono_tz::Tz>().ok().map(BusinessTz::Named)
    }

    /// The wall-clock date of an instant in this zone.
    pub fn date_of(self, instant: DateTime<chrono::Utc>) -> NaiveDate {
        match self {
            BusinessTz::Fixed(seconds) => (instant.naive_utc() + chrono::Duration::seconds(seconds.into())).date(),
            BusinessTz::Named(tz) => instant.with_timezone(&tz).date_naive(),
        }
    }
}

impl std::fmt::Display for BusinessTz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BusinessTz::Fixed(0) => write!(f, "UTC"),
            BusinessTz::Fixed(s) => {
                let sign = if *s < 0 { '-' } else { '+' };
                write!(f, "{sign}{:02}:{:02}", s.abs() / 3600, s.abs() % 3600 / 60)
            }
            BusinessTz::Named(tz) => write!(f, "{}", tz.name()),
        }
    }
}

/// The snapshot day of a `snapshot_date` column of type `dtype` (DATE or
/// TIMESTAMP), as a `Date` expression.
pub fn snapshot_day(column: Expr, dtype: &DataType, tz: BusinessTz) -> Expr {
    let DataType::Datetime(unit, Some(_)) = dtype else {
        // A DATE, or a naive TIMESTAMP: its date as written.
        return column.cast(DataType::Date);
    };
    // The stored value of a zoned timestamp is its UTC instant; its own zone
    // label (which pandas may write as an offset Polars cannot name) plays no part.
    let per_second: i64 = match unit {
        TimeUnit::Nanoseconds => 1_000_000_000,
        TimeUnit::Microseconds => 1_000_000,
        TimeUnit::Milliseconds => 1_000,
    };
    let instant = column.cast(DataType::Int64);
    match tz {
        BusinessTz::Fixed(seconds) => (instant + lit(i64::from(seconds) * per_second))
            .cast(DataType::Datetime(*unit, None))
            .cast(DataType::Date),
        BusinessTz::Named(zone) => instant
            .cast(DataType::Datetime(*unit, Some(polars::prelude::TimeZone::UTC)))
            .dt()
            .convert_time_zone(polars::prelude::TimeZone::from_chrono(&zone))
            .dt()
            .date(),
    }
}

/// The snapshot day of a `snapshot_date` written as text (a Hive folder
/// value): `YYYY-MM-DD` and naive timestamps as written, timestamps with an
/// offset on their date in the business time zone.
pub fn snapshot_day_of_text(text: &str, tz: BusinessTz) -> Option<NaiveDate> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date);
    }
    // Folder names cannot hold ':' on every store, so '%3A' may stand for it.
    let text = text.replace("%3A", ":").replace("%3a", ":");
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
    ] {
        if let Ok(zoned) = DateTime::parse_from_str(&text, format) {
            return Some(tz.date_of(zoned.with_timezone(&chrono::Utc)));
        }
    }
    if let Some(utc) = text.strip_suffix('Z') {
        if let Ok(naive) = NaiveDateTime::parse_from_str(utc, "%Y-%m-%dT%H:%M:%S%.f") {
            return Some(tz.date_of(naive.and_utc()));
        }
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&text, f).ok())
        .map(|naive| naive.date())
}

/// The month index of a `Date` expression, as [`Month`] numbers it.
pub fn month_of(date: Expr) -> Expr {
    date.clone().dt().year().cast(DataType::Int32) * lit(12) + date.dt().month().cast(DataType::Int32) - lit(1)
}

/// The timeline of an input whose months close on `close`, ending at
/// `as_of` (default: the last month in the data); checks it has no gaps and
/// keeps the close days of its months only.
pub fn timeline(
    close: &BTreeMap<Month, NaiveDate>,
    as_of: Option<Month>,
    input: &str,
) -> Result<(Timeline, BTreeMap<Month, NaiveDate>)> {
    let (Some(&first), Some(&last_in_data)) = (close.keys().next(), close.keys().next_back()) else {
        return Err(Error::EmptyInput { path: input.into() });
    };
    let last = as_of.unwrap_or(last_in_data);
    if last < first {
        return Err(Error::InvalidArgument {
            what: "--as-of".into(),
            value: last.to_string(),
            expected: format!("the as-of month must not be before the first month in the data ({first})"),
        });
    }
    let timeline = Timeline { first, last };
    if let Some(gap) = timeline.months().find(|m| !close.contains_key(m)) {
        return Err(Error::GapMonth {
            month: gap.to_string(),
            first: first.to_string(),
            last: last.to_string(),
        });
    }
    let kept = close.range(first..=last).map(|(m, d)| (*m, *d)).collect();
    Ok((timeline, kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// close(M) of every month that has a snapshot day, without pins.
    fn close_days(days: impl IntoIterator<Item = NaiveDate>) -> BTreeMap<Month, NaiveDate> {
        month_days(days, &BTreeMap::new())
            .unwrap()
            .into_iter()
            .map(|(m, d)| (m, d.close))
            .collect()
    }

    #[test]
    fn close_is_the_latest_day_of_each_month() {
        let close = close_days(["2024-01-05", "2024-01-31", "2024-01-17", "2024-02-28"].map(day));
        assert_eq!(close[&Month::from_ym(2024, 1)], day("2024-01-31"));
        assert_eq!(close[&Month::from_ym(2024, 2)], day("2024-02-28"));
        assert_eq!(close.len(), 2);
    }

    /// docs/METRICS.md section 3: a gap fails; an as-of before it does not.
    #[test]
    fn the_timeline_has_no_gaps() {
        let close = close_days(["2024-01-31", "2024-02-29", "2024-04-30"].map(day));
        let err = timeline(&close, None, "in").unwrap_err();
        assert!(err.to_string().contains("no snapshot in month 2024-03"), "{err}");
        let (t, kept) = timeline(&close, Month::parse("2024-02"), "in").unwrap();
        assert_eq!((t.first, t.last), (Month::from_ym(2024, 1), Month::from_ym(2024, 2)));
        assert_eq!(kept.len(), 2);
        let err = timeline(&close, Month::parse("2023-12"), "in").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Usage);
        assert!(matches!(
            timeline(&BTreeMap::new(), None, "in"),
            Err(Error::EmptyInput { .. })
        ));
    }

    fn totals(day: &str, subscriptions: u64) -> DayTotals {
        DayTotals {
            day: self::tests::day(day),
            subscriptions,
            mrr: subscriptions as f64 * 10.0,
        }
    }

    #[test]
    fn month_days_are_the_close_and_the_day_before_it() {
        let days = ["2023-03-29", "2023-03-31", "2023-03-30", "2023-04-30"].map(day);
        let plan = month_days(days, &BTreeMap::new()).unwrap();
        let march = plan[&Month::from_ym(2023, 3)];
        assert_eq!(
            (march.close, march.earlier),
            (day("2023-03-31"), Some(day("2023-03-30")))
        );
        assert_eq!(plan[&Month::from_ym(2023, 4)].earlier, None);
        let pins = BTreeMap::from([(Month::from_ym(2023, 3), day("2023-03-30"))]);
        let march = month_days(days, &pins).unwrap()[&Month::from_ym(2023, 3)];
        assert_eq!(
            (march.close, march.earlier),
            (day("2023-03-30"), Some(day("2023-03-29")))
        );
        let pins = BTreeMap::from([(Month::from_ym(2023, 3), day("2023-03-15"))]);
        assert_eq!(month_days(days, &pins).unwrap_err().kind(), crate::ErrorKind::Usage);
    }

    /// The case: 30% of the close day's rows lost; a real 20% churn
    /// month of month-end snapshots; a drop let through by --max-close-drop.
    #[test]
    fn a_partial_close_day_stops_the_run() {
        let march = Month::from_ym(2023, 3);
        let close = BTreeMap::from([(march, totals("2023-03-31", 1_400))]);
        let earlier = BTreeMap::from([(march, totals("2023-03-30", 2_000))]);
        let err = check_close_days(&close, &earlier, &CloseOptions::default()).unwrap_err();
        let text = err.to_string();
        for part in [
            "2023-03-31",
            "2023-03-30",
            "1400",
            "2000",
            "30.0%",
            "--max-close-drop",
            "--close-day 2023-03=2023-03-30",
        ] {
            assert!(text.contains(part), "{part} missing: {text}");
        }
        let relaxed = CloseOptions {
            max_drop: Some(0.35),
            ..Default::default()
        };
        // A pin is reported even in a month with nothing to compare with.
        let pinned = CloseOptions {
            pinned: BTreeMap::from([(march, day("2023-03-31"))]),
            ..Default::default()
        };
        let alone = BTreeMap::from([(march, totals("2023-03-31", 1_400))]);
        assert_eq!(check_close_days(&alone, &BTreeMap::new(), &pinned).unwrap().len(), 1);
        let let_through = check_close_days(&close, &earlier, &relaxed).unwrap();
        assert_eq!(let_through.len(), 1);
        assert_eq!(let_through[0].by, "--max-close-drop");

        // One snapshot per month: a 20% churn month is no partial export.
        let monthly = BTreeMap::from([
            (Month::from_ym(2023, 2), totals("2023-02-28", 1_000)),
            (march, totals("2023-03-31", 800)),
        ]);
        assert!(check_close_days(&monthly, &BTreeMap::new(), &CloseOptions::default())
            .unwrap()
            .is_empty());
        let halved = BTreeMap::from([
            (Month::from_ym(2023, 2), totals("2023-02-28", 1_000)),
            (march, totals("2023-03-31", 400)),
        ]);
        assert!(check_close_days(&halved, &BTreeMap::new(), &CloseOptions::default()).is_err());
    }

    #[test]
    fn business_time_zones_parse() {
        assert_eq!(BusinessTz::parse("UTC"), Some(BusinessTz::Fixed(0)));
        assert_eq!(BusinessTz::parse("+05:30"), Some(BusinessTz::Fixed(19_800)));
        assert_eq!(BusinessTz::parse("-0800"), Some(BusinessTz::Fixed(-28_800)));
        assert_eq!(BusinessTz::parse("+01"), Some(BusinessTz::Fixed(3_600)));
        assert_eq!(
            BusinessTz::parse("America/Los_Angeles").map(|t| t.to_string()),
            Some("America/Los_Angeles".into())
        );
        assert_eq!(BusinessTz::parse("Mars/Olympus"), None);
        assert_eq!(BusinessTz::parse("+25:00"), None);
        assert_eq!(BusinessTz::Fixed(-28_800).to_string(), "-08:00");
    }

    /// 2024-01-31T23:30-08:00 is 2024-02-01T07:30Z: in UTC it is a February
    /// day, on the wall clock of Los Angeles a January one.
    #[test]
    fn a_zoned_timestamp_counts_on_its_business_day() {
        let text = "2024-01-31T23:30:00-08:00";
        assert_eq!(
            snapshot_day_of_text(text, BusinessTz::default()),
            Some(day("2024-02-01"))
        );
        let la = BusinessTz::parse("America/Los_Angeles").unwrap();
        assert_eq!(snapshot_day_of_text(text, la), Some(day("2024-01-31")));
        assert_eq!(
            snapshot_day_of_text(text, BusinessTz::Fixed(-8 * 3600)),
            Some(day("2024-01-31"))
        );
        // Dates and naive timestamps count as written, whatever the zone.
        assert_eq!(snapshot_day_of_text("2024-01-31", la), Some(day("2024-01-31")));
        assert_eq!(snapshot_day_of_text("2024-01-31 23:30:00", la), Some(day("2024-01-31")));
        assert_eq!(
            snapshot_day_of_text("2024-02-01T07:30:00Z", la),
            Some(day("2024-01-31"))
        );
        assert_eq!(snapshot_day_of_text("January", la), None);
    }

    #[test]
    fn the_same_rule_holds_for_rows() {
        let instant = day("2024-02-01")
            .and_hms_opt(7, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        let frame = df!("t" => [instant]).unwrap();
        let dtype = DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC));
        let frame = frame.lazy().with_column(col("t").cast(dtype.clone()));
        for (tz, expected) in [
            (BusinessTz::default(), "2024-02-01"),
            (BusinessTz::parse("America/Los_Angeles").unwrap(), "2024-01-31"),
            (BusinessTz::parse("-08:00").unwrap(), "2024-01-31"),
            (BusinessTz::parse("+05:30").unwrap(), "2024-02-01"),
        ] {
            let out = frame
                .clone()
                .select([snapshot_day(col("t"), &dtype, tz).cast(DataType::Int32)])
                .collect()
                .unwrap();
            let days = out.column("t").unwrap().i32().unwrap().get(0).unwrap();
            assert_eq!(crate::month::epoch_days_to_date(days), Some(day(expected)), "{tz}");
        }
    }
}
