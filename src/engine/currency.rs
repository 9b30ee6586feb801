//! Exact money: amounts in major units become integer cents of the
//! reporting currency.
//!
//! Rule (docs/METRICS.md, "Money"): each subscription-month amount is
//! multiplied by that month's FX rate as exact decimals and rounded once to
//! cents, ties away from zero; everything after that adds integer cents.
//! A floating-point input is read as the shortest decimal that reads back as
//! the same float (`19.99` stays 19.99, not 19.989999999999998436805981327779591083526611328125),
//! which is what the exporting system wrote.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::month_close::month_of;
use crate::snapshots::{Sources, CENTS, CURRENCY, FILE, MONTH, MRR, SNAPSHOT_DATE, SUBSCRIPTION_ID};
use crate::{Error, Month, Result};

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
        let scale = amount.scale + rate.scale;
        // Most products fit 64 bits, where division is several times cheaper
        // than in 128; the result is the same either way.
        if let (Ok(a), Ok(r)) = (i64::try_from(amount.units), i64::try_from(rate.units)) {
            if let (Some(units), true) = (a.checked_mul(r), scale <= 18) {
                return rescale_i64(units, scale);
            }
        }
        let units = amount.units.checked_mul(rate.units)?;
        let cents = rescale_half_away_from_zero(units, scale, 2)?;
        i64::try_from(cents).ok()
    }
}

/// [`rescale_half_away_from_zero`] to 2 decimals in 64 bits (`scale` ≤ 18).
fn rescale_i64(units: i64, scale: u32) -> Option<i64> {
    if scale <= 2 {
        return units.checked_mul(10_i64.pow(2 - scale));
    }
    let divisor = 10_i64.pow(scale - 2);
    let (quotient, remainder) = (units / divisor, (units % divisor).abs());
    // remainder < divisor ≤ 10^16, so doubling it cannot overflow.
    Some(if remainder * 2 >= divisor {
        quotient + units.signum()
    } else {
        quotient
    })
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
    /// Exact rates by (month index, upper-cased currency code).
    pub rates: BTreeMap<(i32, String), Decimal>,
}

impl FxRates {
    /// Validates a rates table with columns `month` (Date or Datetime; any day
    /// of the month), `currency` and `rate` (positive number), and reads the
    /// rates exactly: DECIMAL and integer rates as they are, floats as the
    /// decimal that was written.
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
        let keys = raw
            .clone()
            .lazy()
            .select([
                month_of(col("month").cast(DataType::Date)).alias(MONTH),
                col("currency")
                    .str()
                    .strip_chars(lit(NULL))
                    .str()
                    .to_uppercase()
                    .alias(CURRENCY),
            ])
            .collect()?;
        let (months, currencies) = (keys.column(MONTH)?.i32()?, keys.column(CURRENCY)?.str()?);
        let values = exact_decimals(raw.column("rate")?.as_materialized_series())?;
        let mut rates = BTreeMap::new();
        for (i, value) in values.into_iter().enumerate() {
            let (month, currency) = (
                Month(months.get(i).unwrap_or_default()),
                currencies.get(i).unwrap_or_default(),
            );
            let rate = match value {
                Ok(rate) if rate.units > 0 => rate,
                Ok(rate) => {
                    return Err(bad(format!(
                        "rate {rate} for {currency} in {month} is not a positive number; rates must be > 0"
                    )))
                }
                Err(text) => {
                    return Err(bad(format!(
                        "rate {text} for {currency} in {month} is not a finite decimal number; fix the rate"
                    )))
                }
            };
            if rates.insert((month.0, currency.to_string()), rate).is_some() {
                return Err(bad(format!(
                    "two rates for {currency} in {month}; keep one rate per currency and month"
                )));
            }
        }
        Ok(FxRates {
            source: source.to_string(),
            rates,
        })
    }

    /// The rate of `currency` (upper-cased) in `month`.
    pub fn rate(&self, month: i32, currency: &str) -> Option<Decimal> {
        self.rates.get(&(month, currency.to_string())).copied()
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.units.unsigned_abs().to_string();
        let sign = if self.units < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// Each value of a numeric column as the exact decimal it holds (a float as
/// the decimal that was written); `Err` with the value's text where there is
/// none (NaN, infinity, more digits than 128 bits hold). Nulls read as 0.
pub fn exact_decimals(values: &Series) -> Result<Vec<std::result::Result<Decimal, String>>> {
    Ok(match values.dtype() {
        DataType::Decimal(_, scale) => {
            let scale = *scale as u32;
            values
                .decimal()?
                .physical()
                .iter()
                .map(|u| {
                    Ok(Decimal {
                        units: u.unwrap_or(0),
                        scale,
                    })
                })
                .collect()
        }
        dtype if dtype.is_integer() => values
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| {
                Ok(Decimal {
                    units: v.unwrap_or(0).into(),
                    scale: 0,
                })
            })
            .collect(),
        dtype if dtype.is_float() => {
            // An f32 goes through its shortest text: widening it adds digits.
            let widened = if matches!(dtype, DataType::Float32) {
                values.cast(&DataType::String)?.cast(&DataType::Float64)?
            } else {
                values.cast(&DataType::Float64)?
            };
            widened
                .f64()?
                .iter()
                .map(|v| {
                    let v = v.unwrap_or(0.0);
                    Decimal::from_f64(v).ok_or_else(|| v.to_string())
                })
                .collect()
        }
        other => {
            return Err(Error::Invariant(format!(
                "a number column reached conversion as {other}"
            )))
        }
    })
}

/// (month, raw currency) of the previous row, with its currency code and rate.
type Decided<'a> = (Option<i32>, Option<&'a str>, u16, Option<Decimal>);

/// The counted rows' amounts and currencies, kept to convert them again at
/// another month's rates (constant currency, docs/METRICS.md section 2a).
pub struct Money {
    /// Upper-cased currency codes, index = code.
    names: Vec<String>,
    /// The code of each row.
    codes: Vec<u16>,
    /// The reporting currency's code, if any row uses it.
    reporting: Option<u16>,
    /// Every rate by (month, code); the reporting currency is not here (it is 1).
    rates: PlHashMap<(i32, u16), Decimal>,
    /// The amounts (`Float64`, `Decimal` or `Int64`), in one chunk.
    amounts: Series,
}

/// Why a row has no amount at a base month's rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtError {
    /// The currency has no rate in the base month.
    NoRate(String),
    /// The product does not fit 64-bit cents.
    TooLarge,
}

/// A [`Money`] with its amounts borrowed as slices, for row-by-row use.
pub struct MoneyView<'a> {
    money: &'a Money,
    amounts: Amounts<'a>,
}

enum Amounts<'a> {
    Float(&'a [f64]),
    Decimal(&'a [i128], u32),
    Int(&'a [i64]),
}

impl Money {
    /// Borrows the amounts as slices.
    pub fn view(&self) -> Result<MoneyView<'_>> {
        let amounts = match self.amounts.dtype() {
            DataType::Decimal(_, scale) => {
                Amounts::Decimal(self.amounts.decimal()?.physical().cont_slice()?, *scale as u32)
            }
            DataType::Float64 => Amounts::Float(self.amounts.f64()?.cont_slice()?),
            DataType::Int64 => Amounts::Int(self.amounts.i64()?.cont_slice()?),
            other => return Err(Error::Invariant(format!("amounts kept as {other}"))),
        };
        Ok(MoneyView { money: self, amounts })
    }
}

impl MoneyView<'_> {
    /// Whether row `row` is in the reporting currency (worth the same at every month's rates).
    pub fn is_reporting(&self, row: usize) -> bool {
        Some(self.money.codes[row]) == self.money.reporting
    }

    /// Row `row`'s amount, as the exact decimal written.
    pub fn amount(&self, row: usize) -> std::result::Result<Decimal, AtError> {
        Ok(match self.amounts {
            Amounts::Float(v) => Decimal::from_f64(v[row]).ok_or(AtError::TooLarge)?,
            Amounts::Decimal(v, scale) => Decimal { units: v[row], scale },
            Amounts::Int(v) => Decimal {
                units: v[row].into(),
                scale: 0,
            },
        })
    }

    /// The rate of row `row`'s currency in month `base`.
    pub fn rate(&self, row: usize, base: i32) -> std::result::Result<Decimal, AtError> {
        let code = self.money.codes[row];
        if Some(code) == self.money.reporting {
            return Ok(Decimal::ONE);
        }
        self.money
            .rates
            .get(&(base, code))
            .copied()
            .ok_or_else(|| AtError::NoRate(self.money.names[code as usize].clone()))
    }
}

/// Reporting-currency cents of each counted close row (columns [`MONTH`],
/// [`CURRENCY`], [`MRR`]): its amount at that month's rate, and the rows'
/// [`Money`] for conversions at other months' rates. The reporting currency
/// converts at exactly 1; any other currency needs a rate for its month.
pub fn row_cents(
    rows: &DataFrame,
    fx: Option<&FxRates>,
    reporting: &str,
    sources: &Sources,
) -> Result<(Int64Chunked, Money)> {
    let months = rows.column(MONTH)?.i32()?;
    let currencies = rows.column(CURRENCY)?.str()?;
    // Few distinct currencies and months: decide each pair once, and reuse
    // the decision while consecutive rows repeat it.
    let mut raw_codes: PlHashMap<&str, u16> = PlHashMap::default();
    let mut names: Vec<String> = Vec::new();
    let mut decided: PlHashMap<(i32, u16), Option<Decimal>> = PlHashMap::default();
    let mut missing: BTreeMap<(i32, String), (usize, usize)> = BTreeMap::new();
    let mut row_rates: Vec<Option<Decimal>> = Vec::with_capacity(rows.height());
    let mut codes: Vec<u16> = Vec::with_capacity(rows.height());
    let mut last: Option<Decided> = None;
    for (i, (month, currency)) in months.iter().zip(currencies.iter()).enumerate() {
        let (code, rate) = match last {
            Some((m, c, code, rate)) if m == month && c == currency => (code, rate),
            _ => {
                let raw = currency.unwrap_or(reporting);
                let code = match raw_codes.get(raw) {
                    Some(code) => *code,
                    None => {
                        let name = raw.trim().to_ascii_uppercase();
                        let code = match names.iter().position(|n| *n == name) {
                            Some(code) => code as u16,
                            None => {
                                names.push(name);
                                u16::try_from(names.len() - 1)
                                    .map_err(|_| Error::Invariant("more than 65,536 currencies".into()))?
                            }
                        };
                        raw_codes.insert(raw, code);
                        code
                    }
                };
                let m = month.unwrap_or_default();
                let rate = *decided.entry((m, code)).or_insert_with(|| {
                    let name = &names[code as usize];
                    if name == reporting {
                        Some(Decimal::ONE)
                    } else {
                        fx.and_then(|fx| fx.rate(m, name))
                    }
                });
                last = Some((month, currency, code, rate));
                (code, rate)
            }
        };
        if rate.is_none() {
            missing
                .entry((month.unwrap_or_default(), names[code as usize].clone()))
                .or_insert((0, i))
                .0 += 1;
        }
        row_rates.push(rate);
        codes.push(code);
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
            path: sources.file(rows.column(FILE)?.u32()?.get(row)),
            fix,
        });
    }
    let amounts = rows.column(MRR)?.as_materialized_series();
    let cents = to_cents(amounts, &row_rates).map_err(|at| {
        let row = at.row;
        let text = |column: &str| -> String {
            rows.column(column)
                .ok()
                .and_then(|c| c.get(row).ok().map(|v| v.str_value().to_string()))
                .unwrap_or_default()
        };
        Error::MoneyOverflow {
            path: sources.file(rows.column(FILE).ok().and_then(|c| c.u32().ok()?.get(row))),
            subscription_id: text(SUBSCRIPTION_ID),
            date: text(SNAPSHOT_DATE),
            value: text(MRR),
            rate: row_rates[row].map(|r| r.to_string()).unwrap_or_default(),
        }
    })?;
    let mut rates = PlHashMap::default();
    if let Some(fx) = fx {
        for ((month, currency), rate) in &fx.rates {
            if let Some(code) = names.iter().position(|n| n == currency) {
                rates.insert((*month, code as u16), *rate);
            }
        }
    }
    let reporting = names.iter().position(|n| n == reporting).map(|c| c as u16);
    let amounts = match amounts.dtype() {
        dtype if dtype.is_integer() => amounts.cast(&DataType::Int64)?,
        _ => amounts.clone(),
    }
    .rechunk();
    let money = Money {
        names,
        codes,
        reporting,
        rates,
        amounts,
    };
    Ok((cents, money))
}

/// The row whose amount times its rate does not fit 64-bit cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    /// Its index.
    pub row: usize,
}

/// Converts amounts (`Float64`, `Decimal` or integer) at per-row rates to
/// cents; a row without a rate is 0. Fails at the first row whose product
/// does not fit 64-bit cents (or whose float amount is not finite).
pub fn to_cents(amounts: &Series, rates: &[Option<Decimal>]) -> std::result::Result<Int64Chunked, TooLarge> {
    let decimals = exact_decimals(amounts).map_err(|_| TooLarge { row: 0 })?;
    let out = decimals
        .into_iter()
        .zip(rates)
        .enumerate()
        .map(|(row, (amount, rate))| match rate {
            None => Ok(0),
            Some(rate) => amount
                .ok()
                .and_then(|a| a.times_rate_in_cents(*rate))
                .ok_or(TooLarge { row }),
        })
        .collect::<std::result::Result<Vec<i64>, _>>()?;
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

    /// The 64-bit path and the 128-bit one round alike, ties and negatives included.
    #[test]
    fn both_widths_round_alike() {
        for units in [-1_005_i64, -1_004, 1_004, 1_005, 10_826, 999_999_995, 7] {
            for scale in [0_u32, 1, 2, 3, 5, 9, 18] {
                assert_eq!(
                    rescale_i64(units, scale).map(i128::from),
                    rescale_half_away_from_zero(units.into(), scale, 2),
                    "{units} at scale {scale}"
                );
            }
        }
    }

    #[test]
    fn sums_of_cents_are_exact() {
        assert_eq!(cents(0.1, 1.0) + cents(0.2, 1.0), cents(0.3, 1.0));
    }

    #[test]
    fn decimals_print_as_written() {
        assert_eq!(
            Decimal {
                units: 108255,
                scale: 5
            }
            .to_string(),
            "1.08255"
        );
        assert_eq!(Decimal { units: -5, scale: 3 }.to_string(), "-0.005");
        assert_eq!(Decimal { units: 42, scale: 0 }.to_string(), "42");
    }

    fn fx(rate: Series) -> Result<FxRates> {
        let month = Series::new("month".into(), [19_753_i32]).cast(&DataType::Date).unwrap();
        let raw = DataFrame::new_infer_height(vec![
            month.into_column(),
            Column::new("currency".into(), [" eur "]),
            rate.with_name("rate".into()).into_column(),
        ])
        .unwrap();
        FxRates::from_frame("fx.parquet", raw)
    }

    #[test]
    fn decimal_rates_stay_exact_and_codes_are_normalised() {
        let dec = Int128Chunked::from_vec("rate".into(), vec![108_255_000_000_000_000])
            .into_decimal(38, 17)
            .unwrap()
            .into_series();
        let rates = fx(dec).unwrap();
        let jan = Month::from_ym(2024, 1).0;
        assert_eq!(
            rates.rate(jan, "EUR").map(|r| r.to_string()),
            Some("1.08255000000000000".into())
        );
        let floats = fx(Series::new("rate".into(), [1.08255_f64])).unwrap();
        assert_eq!(
            floats.rate(jan, "EUR"),
            Some(Decimal {
                units: 108_255,
                scale: 5
            })
        );
    }

    #[test]
    fn unusable_rates_are_bad_input() {
        for rate in [f64::INFINITY, 0.0, -1.0] {
            let err = fx(Series::new("rate".into(), [rate])).unwrap_err();
            assert!(matches!(err, Error::BadFxRates { .. }), "{rate}: {err}");
            assert!(err.to_string().contains("EUR in 2024-01"), "{err}");
        }
    }

    #[test]
    fn a_product_beyond_64_bit_cents_names_its_row() {
        let amounts = Series::new("m".into(), [1.0_f64, 1e15]);
        let rates = [Some(Decimal::ONE), Decimal::from_f64(1e17)];
        assert_eq!(to_cents(&amounts, &rates).unwrap_err(), TooLarge { row: 1 });
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
