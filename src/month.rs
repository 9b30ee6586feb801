//! Calendar months as small integers.
//!
//! The engine keys everything by month, so a month is a plain `i32`
//! (`year * 12 + month - 1`): arithmetic such as "the month before" or
//! "twelve months later" is then integer arithmetic, in Rust and in Polars
//! expressions alike, and is converted to a `DATE` (first day) only on output.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// Days from 0001-01-01 (CE day 1) to 1970-01-01, Polars' `Date` epoch.
const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

/// A calendar month; the inner value is `year * 12 + (month - 1)`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(pub i32);

impl Month {
    /// The month of `year`-`month` (`month` in 1..=12).
    pub fn from_ym(year: i32, month: u32) -> Self {
        Month(year * 12 + month as i32 - 1)
    }

    /// The month a date falls in.
    pub fn from_date(date: NaiveDate) -> Self {
        Self::from_ym(date.year(), date.month())
    }

    /// The month of a Polars `Date` value (days since 1970-01-01); `None`
    /// beyond the calendar's range.
    pub fn from_epoch_days(days: i32) -> Option<Self> {
        epoch_days_to_date(days).map(Self::from_date)
    }

    /// Parses `YYYY-MM` (also accepts `YYYY-MM-DD`, whose day is ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (year, rest) = text.split_once('-')?;
        let month = rest.split('-').next()?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let month: u32 = month.parse().ok()?;
        if !(1..=12).contains(&month) {
            return None;
        }
        if rest.len() > 2 {
            // A full date must be a real one.
            NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        }
        Some(Self::from_ym(year, month))
    }

    /// Parses a quarter `YYYYQn` (also `YYYY-Qn`) into its first month.
    pub fn parse_quarter(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_uppercase();
        let (year, q) = text.split_once('Q')?;
        let year: i32 = year.trim_end_matches('-').parse().ok()?;
        let q: u32 = q.parse().ok()?;
        (1..=4).contains(&q).then(|| Self::from_ym(year, 3 * q - 2))
    }

    /// The quarter label `YYYYQn` of the month.
    pub fn quarter_label(self) -> String {
        format!("{}Q{}", self.year(), (self.month() - 1) / 3 + 1)
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// The month of the year, 1..=12.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    /// The month `n` months later (earlier for negative `n`).
    pub fn plus(self, n: i32) -> Self {
        Month(self.0 + n)
    }

    /// Whole months from `earlier` to `self`.
    pub fn since(self, earlier: Month) -> i32 {
        self.0 - earlier.0
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).expect("valid month")
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.plus(1).first_day().pred_opt().expect("valid date")
    }

    /// The first day of the month as a Polars `Date` value.
    pub fn first_day_epoch_days(self) -> i32 {
        date_to_epoch_days(self.first_day())
    }

    /// The first day formatted `YYYY-MM-DD`, as used in partition folder names.
    pub fn iso_first_day(self) -> String {
        format!("{:04}-{:02}-01", self.year(), self.month())
    }

    /// Every month from `self` to `last`, both included.
    pub fn through(self, last: Month) -> impl Iterator<Item = Month> {
        (self.0..=last.0).map(Month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

/// A Polars `Date` value (days since 1970-01-01) as a calendar date; `None`
/// beyond the calendar's range (about ±262,000 years).
pub fn epoch_days_to_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(UNIX_EPOCH_CE_DAYS)?)
}

/// A calendar date as a Polars `Date` value.
pub fn date_to_epoch_days(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_arithmetic_crosses_years() {
        let dec = Month::from_ym(2023, 12);
        assert_eq!(dec.plus(1), Month::from_ym(2024, 1));
        assert_eq!(dec.plus(-12), Month::from_ym(2022, 12));
        assert_eq!(Month::from_ym(2024, 3).since(dec), 3);
        assert_eq!(dec.to_string(), "2023-12");
    }

    #[test]
    fn parses_month_and_date_forms() {
        assert_eq!(Month::parse("2024-02"), Some(Month::from_ym(2024, 2)));
        assert_eq!(Month::parse("2024-02-29"), Some(Month::from_ym(2024, 2)));
        assert_eq!(Month::parse("2023-02-29"), None);
        assert_eq!(Month::parse("2024-13"), None);
        assert_eq!(Month::parse("24-01"), None);
    }

    #[test]
    fn parses_quarters() {
        assert_eq!(Month::parse_quarter("2023Q1"), Some(Month::from_ym(2023, 1)));
        assert_eq!(Month::parse_quarter("2024-q4"), Some(Month::from_ym(2024, 10)));
        assert_eq!(Month::parse_quarter("2024Q5"), None);
        assert_eq!(Month::from_ym(2024, 11).quarter_label(), "2024Q4");
    }

    #[test]
    fn epoch_days_round_trip() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(date_to_epoch_days(d), 19_753);
        assert_eq!(epoch_days_to_date(19_753), Some(d));
        assert_eq!(Month::from_epoch_days(19_753), Some(Month::from_ym(2024, 1)));
        assert_eq!(epoch_days_to_date(i32::MAX), None);
        assert_eq!(
            Month::from_ym(2024, 2).last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
    }
}
