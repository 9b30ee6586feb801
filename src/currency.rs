//! Exact money: amounts in major units become integer cents of the
//! reporting currency.
//!
//! Rule (docs/METRICS.md, "Money"): each subscription-month amount is
//! multiplied by that month's FX rate as exact decimals and rounded once to
//! cents, ties away from zero; everything after that adds integer cents.
//! A floating-point input is read as the shortest decimal that reads back as
//! the same float (`19.99` stays 19.99, not 19.989999999999998436805981327779591083526611328125),
//! which is what the exporting system wrote.

use polars::prelude::*;

use crate::snapshots::{Snapshots, CENTS, CURRENCY, FILE, MONTH, MRR, STATUS, SUBSCRIPTION_ID};
use crate::{Error, Month, Result};

/// Name of the FX rate column in [`FxRates::rates`] and on converted rows.
pub const RATE: &str = "rate";

/// An exact decimal number, `units / 10^scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    /// The digits.
    pub units: i128,
    /// How many of them are after the decimal point.
    pub scale: u32,
}

impl Decimal {
    /// One, the rate of the reporting currency.
    pub const ONE: Decimal = Decimal { units: 1, scale: 0 };

    /// The shortest decimal that reads back as `x`; `None` for NaN or infinity.
    pub fn from_f64(x: f64) -> Option<Decimal> {
        if !x.is_finite() {
            return None;
        }
        // Fast path: a value typed with at most 9 decimals is found by scaling,
        // exact because both the integer and the power of ten are exact floats
        // and IEEE division rounds correctly.
        let mut pow = 1.0_f64;
        for scale in 0..=9 {
            let scaled = (x * pow).round();
            if scaled.abs() >= 9.0e15 {
                break;
            }
            if scaled / pow == x {
                return Some(Decimal {
                    units: scaled as i128,
                    scale,
                });
            }
            pow *= 10.0;
        }
        // Rust's Display prints the shortest round-trip digits, never an exponent.
        Self::parse(&format!("{x}"))
    }

    /// Parses plain decimal text such as `-12.034`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut units: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            if !b.is_ascii_digit() {
                return None;
            }
            units = units.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        Some(Decimal {
            units: if negative { -units } else { units },
            scale: frac.len() as u32,
        })
    }

    /// The same number without trailing zero decimals (DECIMAL(38,18)
    /// columns carry many), so products stay within 128 bits.
    fn trimmed(mut self) -> Decimal {
        while self.scale > 0 && self.units % 10 == 0 {
            self.units /= 10;
            self.scale -= 1;
        }
        self
    }

    /// `self × rate`, rounded to cents, ties away from zero.
    pub fn times_rate_in_cents(self, rate: Decimal) -> Option<i64> {
        let (amount, rate) = (self.trimmed(), rate.trimmed());
        let units = amount.units.checked_mul(rate.units)?;
        let cents = rescale_half_away_from_zero(units, amount.scale + rate.scale, 2)?;
        i64::try_from(cents).ok()
    }
}

/// Changes the scale of `units`, rounding half away from zero when digits are dropped.
pub fn rescale_half_away_from_zero(units: i128, from: u32, to: u32) -> Option<i128> {
    if from <= to {
        return units.checked_mul(10_i128.checked_pow(to - from)?);
    }
    let divisor = 10_i128.checked_pow(from - to)?;
    let quotient = units / divisor;
    let remainder = (units % divisor).abs();
    Some(if remainder * 2 >= divisor {
        quotient + units.signum()
    } else {
        quotient
    })
}

/// FX rates by month: 1 unit of `currency` = `rate` units of the reporting currency.
#[derive(Clone, Debug)]
pub struct FxRates {
    /// Where the rates came from, for messages.
    pub source: String,
    /// Columns `month` (`Int32` month index), `currency` (`String`), `rate` (`Float64`).
    pub rates: DataFrame,
}

impl FxRates {
    /// Validates a rates table with columns `month` (Date or Datetime; any day
    /// of the month), `currency` and `rate` (positive number).
    pub fn from_frame(source: &str, raw: DataFrame) -> Result<FxRates> {
        let bad = |problem: String| Error::BadFxRates {
            path: source.to_string(),
            problem,
        };
        for (name, expected) in [("month", "DATE"), ("currency", "STRING"), ("rate", "a number")] {
            let Ok(column) = raw.column(name) else {
                return Err(bad(format!(
                    "column '{name}' is missing (columns found: {}). The file needs month (DATE), currency (STRING) and rate (number)",
                    raw.get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                )));
            };
            let dtype = column.dtype();
            let ok = match name {
                "month" => matches!(dtype, DataType::Date | DataType::Datetime(..)),
                "currency" => matches!(dtype, DataType::String),
                _ => dtype.is_primitive_numeric() || dtype.is_decimal(),
            };
            if !ok {
                return Err(bad(format!("column '{name}' has type {dtype}, expected {expected}")));
            }
            if column.null_count() > 0 {
                return Err(bad(format!(
                    "column '{name}' has {} null value(s); every row needs month, currency and rate",
                    column.null_count()
                )));
            }
        }
        // An f32 rate goes through its shortest text, as MRR does.
        let rate_expr = if matches!(raw.column("rate")?.dtype(), DataType::Float32) {
            col("rate").cast(DataType::String).cast(DataType::Float64)
        } else {
            col("rate").cast(DataType::Float64)
        };
        let rates = raw
            .lazy()
            .select([
                crate::month_close::month_of(col("month").cast(DataType::Date)).alias(MONTH),
                col("currency")
                    .str()
                    .strip_chars(lit(NULL))
                    .str()
                    .to_uppercase()
                    .alias(CURRENCY),
                rate_expr.alias(RATE),
            ])
            .sort([MONTH, CURRENCY], Default::default())
            .collect()?;
        let rate = rates.column(RATE)?.f64()?;
        if let Some(i) = rate.iter().position(|r| !r.is_some_and(|r| r.is_finite() && r > 0.0)) {
            return Err(bad(format!(
                "rate {} for {} in {} is not a positive number; rates must be > 0",
                rate.get(i).map(|r| r.to_string()).unwrap_or_default(),
                rates.column(CURRENCY)?.str()?.get(i).unwrap_or_default(),
                Month(rates.column(MONTH)?.i32()?.get(i).unwrap_or_default()),
            )));
        }
        let months = rates.column(MONTH)?.i32()?;
        let currencies = rates.column(CURRENCY)?.str()?;
        for i in 1..rates.height() {
            if months.get(i) == months.get(i - 1) && currencies.get(i) == currencies.get(i - 1) {
                return Err(bad(format!(
                    "two rates for {} in {}; keep one rate per currency and month",
                    currencies.get(i).unwrap_or_default(),
                    Month(months.get(i).unwrap_or_default())
                )));
            }
        }
        Ok(FxRates {
            source: source.to_string(),
            rates,
        })
    }
}

/// (month, currency, status, rate) of a row already decided.
type RowKey<'a> = (Option<i32>, Option<&'a str>, Option<&'a str>, Option<Decimal>);

/// Reporting-currency cents of each close row, with columns [`MONTH`],
/// [`CURRENCY`], [`STATUS`], [`MRR`]: 0 for a row whose status counts zero
/// (it needs no rate), else its amount at that month's rate. The reporting
/// currency converts at exactly 1; any other currency needs a rate.
pub fn row_cents(
    rows: &DataFrame,
    fx: Option<&FxRates>,
    reporting: &str,
    snapshots: &Snapshots,
) -> Result<Int64Chunked> {
    let months = rows.column(MONTH)?.i32()?;
    let currencies = rows.column(CURRENCY)?.str()?;
    let statuses = rows.column(STATUS)?.str()?;
    let mut rates: PlHashMap<(i32, String), Decimal> = PlHashMap::default();
    if let Some(fx) = fx {
        let (m, c, r) = (
            fx.rates.column(MONTH)?.i32()?,
            fx.rates.column(CURRENCY)?.str()?,
            fx.rates.column(RATE)?.f64()?,
        );
        for i in 0..fx.rates.height() {
            if let (Some(m), Some(c), Some(rate)) = (m.get(i), c.get(i), r.get(i).and_then(Decimal::from_f64)) {
                rates.insert((m, c.to_string()), rate);
            }
        }
    }
    // Few distinct statuses, currencies and months: decide each once, and
    // reuse the decision while consecutive rows repeat it.
    let mut counts: PlHashMap<Option<&str>, bool> = PlHashMap::default();
    let mut codes: PlHashMap<&str, usize> = PlHashMap::default();
    let mut code_names: Vec<String> = Vec::new();
    let mut decided: PlHashMap<(i32, usize), Option<Decimal>> = PlHashMap::default();
    let mut missing: std::collections::BTreeMap<(i32, String), (usize, usize)> = std::collections::BTreeMap::new();
    let mut row_rates: Vec<Option<Decimal>> = Vec::with_capacity(rows.height());
    // (month, currency, status) of the previous row and the rate decided for it.
    let mut last: Option<RowKey> = None;
    for (i, ((month, currency), status)) in months.iter().zip(currencies.iter()).zip(statuses.iter()).enumerate() {
        if let Some((m, c, st, rate)) = last {
            if m == month && c == currency && st == status {
                if rate.is_none() && crate::snapshots::status_counts(status) {
                    missing
                        .entry((
                            month.unwrap_or_default(),
                            code_names[codes[currency.unwrap_or(reporting)]].clone(),
                        ))
                        .or_insert((0, i))
                        .0 += 1;
                }
                row_rates.push(rate);
                continue;
            }
        }
        let rate = if !*counts
            .entry(status)
            .or_insert_with(|| crate::snapshots::status_counts(status))
        {
            None
        } else {
            let raw = currency.unwrap_or(reporting);
            let code = *codes.entry(raw).or_insert_with(|| {
                code_names.push(raw.trim().to_ascii_uppercase());
                code_names.len() - 1
            });
            let month = month.unwrap_or_default();
            let rate = *decided.entry((month, code)).or_insert_with(|| {
                let name = &code_names[code];
                if name == reporting {
                    Some(Decimal::ONE)
                } else {
                    rates.get(&(month, name.clone())).copied()
                }
            });
            if rate.is_none() {
                missing.entry((month, code_names[code].clone())).or_insert((0, i)).0 += 1;
            }
            rate
        };
        last = Some((month, currency, status, rate));
        row_rates.push(rate);
    }
    if let Some(((month, currency), (count, row))) = missing.into_iter().next() {
        let month = Month(month);
        let fix = match fx {
            Some(fx) => format!(
                "Add a row (month = {}, currency = {currency}, rate = <{reporting} per {currency}>) to '{}'",
                month.iso_first_day(),
                fx.source
            ),
            None => format!(
                "Pass --fx-rates with a rate for {currency} in {month}, or set --reporting-currency {currency} if all amounts are in {currency}"
            ),
        };
        return Err(Error::MissingFxRate {
            currency,
            month,
            rows: count,
            subscription_id: rows
                .column(SUBSCRIPTION_ID)?
                .str()?
                .get(row)
                .unwrap_or_default()
                .to_string(),
            path: snapshots.file(rows.column(FILE)?.u32()?.get(row)),
            fix,
        });
    }
    to_cents(rows.column(MRR)?.as_materialized_series(), &row_rates)
}

/// Converts amounts (`Float64`, `Decimal` or integer) at per-row rates to
/// cents; a row without a rate is 0 (its status counts zero).
pub fn to_cents(amounts: &Series, rates: &[Option<Decimal>]) -> Result<Int64Chunked> {
    let overflow = || Error::Invariant("an MRR value times its FX rate overflowed 128-bit arithmetic".into());
    let convert = |amount: Option<Decimal>, rate: &Option<Decimal>| -> Result<i64> {
        match rate {
            None => Ok(0),
            Some(rate) => amount.and_then(|a| a.times_rate_in_cents(*rate)).ok_or_else(overflow),
        }
    };
    let out: Vec<i64> = match amounts.dtype() {
        DataType::Decimal(_, scale) => {
            let scale = *scale as u32;
            let units = amounts.decimal()?.physical();
            units
                .iter()
                .zip(rates)
                .map(|(u, r)| convert(u.map(|units| Decimal { units, scale }), r))
                .collect::<Result<_>>()?
        }
        dtype if dtype.is_float() => {
            let values = amounts.cast(&DataType::Float64)?;
            values
                .f64()?
                .iter()
                .zip(rates)
                .map(|(v, r)| convert(v.and_then(Decimal::from_f64), r))
                .collect::<Result<_>>()?
        }
        dtype if dtype.is_integer() => {
            let values = amounts.cast(&DataType::Int64)?;
            values
                .i64()?
                .iter()
                .zip(rates)
                .map(|(v, r)| {
                    convert(
                        v.map(|units| Decimal {
                            units: units.into(),
                            scale: 0,
                        }),
                        r,
                    )
                })
                .collect::<Result<_>>()?
        }
        other => return Err(Error::Invariant(format!("mrr reached currency conversion as {other}"))),
    };
    Ok(Int64Chunked::from_vec(CENTS.into(), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(amount: f64, rate: f64) -> i64 {
        Decimal::from_f64(amount)
            .unwrap()
            .times_rate_in_cents(Decimal::from_f64(rate).unwrap())
            .unwrap()
    }

    #[test]
    fn floats_read_as_the_decimal_that_was_written() {
        assert_eq!(Decimal::from_f64(19.99), Some(Decimal { units: 1999, scale: 2 }));
        assert_eq!(Decimal::from_f64(0.1), Some(Decimal { units: 1, scale: 1 }));
        assert_eq!(Decimal::from_f64(120.0), Some(Decimal { units: 120, scale: 0 }));
        // 0.1 + 0.2 in binary floating point is 0.30000000000000004: kept as is.
        assert_eq!(
            Decimal::from_f64(0.1 + 0.2),
            Some(Decimal {
                units: 30000000000000004,
                scale: 17
            })
        );
        assert_eq!(Decimal::from_f64(f64::NAN), None);
    }

    #[test]
    fn rounds_to_cents_half_away_from_zero() {
        // 2.675 and 1.005 are stored just below the tie (2.67499999999999982236...),
        // so rounding the float would give 2.67 and 1.00; they were written as ties.
        assert_eq!(cents(2.675, 1.0), 268);
        assert_eq!(cents(1.005, 1.0), 101);
        assert_eq!(
            (1.005_f64 * 100.0).round() as i64,
            100,
            "the naive float rounding this rule avoids"
        );
        assert_eq!(cents(100.0, 1.08255), 10826);
        assert_eq!(cents(100.0, 1.08254), 10825);
        assert_eq!(cents(19.99, 1.0), 1999);
        assert_eq!(rescale_half_away_from_zero(-1005, 3, 2), Some(-101));
        assert_eq!(rescale_half_away_from_zero(-1004, 3, 2), Some(-100));
        assert_eq!(rescale_half_away_from_zero(7, 0, 2), Some(700));
    }

    #[test]
    fn wide_decimals_times_long_rates_stay_within_128_bits() {
        // 1,000,000 as DECIMAL(38,18) at 1/16330 per unit.
        let amount = Decimal {
            units: 1_000_000 * 10_i128.pow(18),
            scale: 18,
        };
        let rate = Decimal::from_f64(1.0 / 16330.0).unwrap();
        assert_eq!(amount.times_rate_in_cents(rate), Some(6124));
    }

    #[test]
    fn summing_cents_is_exact_where_summing_floats_is_not() {
        // 0.1 + 0.2 != 0.3 in floating point; in cents it is 10 + 20 = 30.
        assert_ne!(0.1 + 0.2, 0.3);
        assert_eq!(cents(0.1, 1.0) + cents(0.2, 1.0), cents(0.3, 1.0));
    }

    #[test]
    fn decimal_and_integer_columns_convert_exactly() {
        let rates = [Some(Decimal::ONE), Decimal::from_f64(0.5)];
        let dec = Int128Chunked::from_vec("m".into(), vec![123_456, 1])
            .into_decimal(18, 3)
            .unwrap()
            .into_series();
        let out = to_cents(&dec, &rates).unwrap();
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some(12346), Some(0)]);
        let ints = Series::new("m".into(), [5_i32, 3]);
        let out = to_cents(&ints, &rates).unwrap();
        assert_eq!(out.iter().collect::<Vec<_>>(), vec![Some(500), Some(150)]);
    }
}
