//! Job configuration: the validated settings a run takes, resolved once from
//! the command line, the environment (through clap) and an optional TOML
//! file, in that order of precedence.

use std::path::Path;

use serde::Deserialize;

use crate::engine::month_close::{BusinessTz, CloseOptions};
use crate::engine::EngineOptions;
use crate::io::store::StoreOptions;
use crate::snapshots::ColumnNames;
use crate::{Error, Month, Result};

/// The environment variables that stand for command-line options, declared
/// once: the binary attaches them to its flags, the tests clear them.
pub mod env {
    /// `--input`.
    pub const INPUT: &str = "NRR_INPUT";
    /// `--output`.
    pub const OUTPUT: &str = "NRR_OUTPUT";
    /// `--as-of`.
    pub const AS_OF: &str = "NRR_AS_OF";
    /// `--segment-by`.
    pub const SEGMENT_BY: &str = "NRR_SEGMENT_BY";
    /// `--fx-rates`.
    pub const FX_RATES: &str = "NRR_FX_RATES";
    /// `--reporting-currency`.
    pub const REPORTING_CURRENCY: &str = "NRR_REPORTING_CURRENCY";
    /// `--timezone`.
    pub const TIMEZONE: &str = "NRR_TIMEZONE";
    /// `--s3-endpoint`.
    pub const S3_ENDPOINT: &str = "NRR_S3_ENDPOINT";
    /// `--config`.
    pub const CONFIG: &str = "NRR_CONFIG";
    /// `--log-format`.
    pub const LOG_FORMAT: &str = "NRR_LOG_FORMAT";
    /// Every one of them.
    pub const ALL: [&str; 10] = [
        INPUT,
        OUTPUT,
        AS_OF,
        SEGMENT_BY,
        FX_RATES,
        REPORTING_CURRENCY,
        TIMEZONE,
        S3_ENDPOINT,
        CONFIG,
        LOG_FORMAT,
    ];
}

/// Default months-since-cohort horizon of the wide matrix.
pub const DEFAULT_HORIZON: u32 = 36;
/// Default reporting currency.
pub const DEFAULT_CURRENCY: &str = "USD";

/// Everything a run needs, validated.
#[derive(Clone, Debug)]
pub struct JobConfig {
    /// Snapshot input: file, directory or glob.
    pub input: String,
    /// Output root: a folder or an object-store URI.
    pub output: String,
    /// FX rates file.
    pub fx_rates: Option<String>,
    /// Source column names.
    pub columns: ColumnNames,
    /// The business time zone (the calendar of zoned snapshot timestamps).
    pub timezone: BusinessTz,
    /// Engine options (`as_of` is also the end of a range run).
    pub engine: EngineOptions,
    /// First month to write in a range run; `None` for a full run.
    pub write_from: Option<Month>,
    /// Object-store settings.
    pub store: StoreOptions,
    /// How long the run's lease on the output lasts, in minutes (a crashed
    /// run on another host blocks the months it held that long at most).
    pub lease_minutes: u64,
    /// Keep the output's current tables under `_previous/` before replacing
    /// them, and log what the run restated.
    pub keep_previous: bool,
}

/// The `[columns]` table of a config file: canonical name = source name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    snapshot_date: Option<String>,
    customer_id: Option<String>,
    subscription_id: Option<String>,
    mrr: Option<String>,
    currency: Option<String>,
    status: Option<String>,
}

/// A TOML config file; every key is optional and the command line wins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    input: Option<String>,
    output: Option<String>,
    as_of: Option<String>,
    segment_by: Option<Vec<String>>,
    fx_rates: Option<String>,
    reporting_currency: Option<String>,
    horizon: Option<u32>,
    timezone: Option<String>,
    max_close_drop: Option<f64>,
    lease_minutes: Option<u64>,
    keep_previous: Option<bool>,
    /// Statuses whose rows count zero (replaces the default list).
    zero_statuses: Option<Vec<String>>,
    /// `"YYYY-MM" = "YYYY-MM-DD"`: months closed on a chosen day.
    #[serde(default)]
    close_days: std::collections::BTreeMap<String, String>,
    s3_endpoint: Option<String>,
    #[serde(default)]
    columns: ColumnMap,
}

impl ConfigFile {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<ConfigFile> {
        let error = |reason: String| Error::Config {
            path: path.display().to_string(),
            reason,
        };
        let text = fs_err::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let text = interpolate(&text, |name| std::env::var(name).ok()).map_err(error)?;
        toml::from_str(&text).map_err(|e| error(e.to_string()))
    }
}

/// Replaces `${NAME}` with `lookup(NAME)`; an unset variable is an error.
pub fn interpolate(text: &str, lookup: impl Fn(&str) -> Option<String>) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| "unclosed ${ in the file".to_string())?;
        let name = &after[..end];
        let value =
            lookup(name).ok_or_else(|| format!("environment variable {name} is not set (used as ${{{name}}})"))?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Settings given on the command line or in the environment.
#[derive(Debug, Default)]
pub struct Overrides {
    /// --input
    pub input: Option<String>,
    /// --output
    pub output: Option<String>,
    /// --as-of
    pub as_of: Option<String>,
    /// --segment-by
    pub segment_by: Option<Vec<String>>,
    /// --fx-rates
    pub fx_rates: Option<String>,
    /// --reporting-currency
    pub reporting_currency: Option<String>,
    /// --horizon
    pub horizon: Option<u32>,
    /// --timezone
    pub timezone: Option<String>,
    /// --max-close-drop
    pub max_close_drop: Option<f64>,
    /// --lease-minutes
    pub lease_minutes: Option<u64>,
    /// --keep-previous (a flag: `true` when given)
    pub keep_previous: bool,
    /// --close-day, each `YYYY-MM=YYYY-MM-DD` (they replace the config file's)
    pub close_days: Vec<String>,
    /// --from (range runs)
    pub from: Option<String>,
    /// --to (range runs)
    pub to: Option<String>,
    /// --s3-endpoint
    pub s3_endpoint: Option<String>,
}

/// Output column names a segment may not take.
const RESERVED: [&str; 11] = [
    "customer_id",
    "month",
    "cohort_month",
    "mrr",
    "prev_mrr",
    "fx_mrr",
    "movement",
    "fx_mrr_3m",
    "fx_mrr_12m",
    "fx_mrr_cohort",
    "all",
];

impl JobConfig {
    /// Settles precedence (command line > config file > default) and validates.
    pub fn resolve(cli: Overrides, file: Option<ConfigFile>) -> Result<JobConfig> {
        let file = file.unwrap_or_default();
        let missing = |what: &str| Error::InvalidArgument {
            what: what.into(),
            value: String::new(),
            expected: format!(
                "{what} is required (on the command line or as `{}` in the config file)",
                what.trim_start_matches("--").replace('-', "_")
            ),
        };
        let input = cli.input.or(file.input).ok_or_else(|| missing("--input"))?;
        let output = cli.output.or(file.output).ok_or_else(|| missing("--output"))?;
        let month = |what: &str, text: Option<String>| -> Result<Option<Month>> {
            text.map(|t| {
                Month::parse(&t).ok_or_else(|| Error::InvalidArgument {
                    what: what.into(),
                    value: t.clone(),
                    expected: "use YYYY-MM, e.g. 2024-06".into(),
                })
            })
            .transpose()
        };
        let as_of = month("--as-of", cli.as_of.or(file.as_of))?;
        let write_from = month("--from", cli.from)?;
        let to = month("--to", cli.to)?;
        if write_from.is_some() != to.is_some() {
            return Err(Error::InvalidArgument {
                what: "--from/--to".into(),
                value: String::new(),
                expected: "a range run needs both --from and --to".into(),
            });
        }
        if let (Some(to), Some(as_of)) = (to, as_of) {
            if to != as_of {
                return Err(Error::InvalidArgument {
                    what: "--to".into(),
                    value: to.to_string(),
                    expected: format!("--to is the as-of month of a range run; drop --as-of {as_of}"),
                });
            }
        }
        if let (Some(from), Some(to)) = (write_from, to) {
            if from > to {
                return Err(Error::InvalidArgument {
                    what: "--from".into(),
                    value: from.to_string(),
                    expected: format!("the range must start at or before --to {to}"),
                });
            }
        }
        let as_of = to.or(as_of);
        let segment_by: Vec<String> = cli
            .segment_by
            .or(file.segment_by)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        for (i, s) in segment_by.iter().enumerate() {
            if RESERVED.contains(&s.as_str()) || segment_by[..i].contains(s) {
                return Err(Error::InvalidArgument {
                    what: "--segment-by".into(),
                    value: s.clone(),
                    expected: format!(
                        "segment columns must be distinct and not one of {}",
                        RESERVED.join(", ")
                    ),
                });
            }
        }
        if segment_by.len() > 64 {
            return Err(Error::InvalidArgument {
                what: "--segment-by".into(),
                value: format!("{} columns", segment_by.len()),
                expected: "at most 64 segment columns".into(),
            });
        }
        let currency = cli
            .reporting_currency
            .or(file.reporting_currency)
            .unwrap_or_else(|| DEFAULT_CURRENCY.into());
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(Error::InvalidArgument {
                what: "--reporting-currency".into(),
                value: currency,
                expected: "use a three-letter ISO 4217 code such as USD".into(),
            });
        }
        let horizon = cli.horizon.or(file.horizon).unwrap_or(DEFAULT_HORIZON);
        if horizon > 600 {
            return Err(Error::InvalidArgument {
                what: "--horizon".into(),
                value: horizon.to_string(),
                expected: "use at most 600 months".into(),
            });
        }
        let timezone = match cli.timezone.or(file.timezone) {
            None => BusinessTz::default(),
            Some(text) => BusinessTz::parse(&text).ok_or_else(|| Error::InvalidArgument {
                what: "--timezone".into(),
                value: text.clone(),
                expected: "use UTC, a fixed offset such as +05:30, or an IANA zone such as America/New_York".into(),
            })?,
        };
        let max_drop = cli.max_close_drop.or(file.max_close_drop);
        if let Some(drop) = max_drop.filter(|d| !(0.0..=1.0).contains(d)) {
            return Err(Error::InvalidArgument {
                what: "--max-close-drop".into(),
                value: drop.to_string(),
                expected: "a fraction from 0 to 1, e.g. 0.35 (1 disables the check)".into(),
            });
        }
        let pins: Vec<(String, String)> = if cli.close_days.is_empty() {
            file.close_days.into_iter().collect()
        } else {
            cli.close_days
                .iter()
                .map(|p| {
                    let (m, d) = p.split_once('=').unwrap_or((p, ""));
                    (m.to_string(), d.to_string())
                })
                .collect()
        };
        let mut pinned = std::collections::BTreeMap::new();
        for (month_text, day_text) in pins {
            let bad = || Error::InvalidArgument {
                what: "--close-day".into(),
                value: format!("{month_text}={day_text}"),
                expected: "use YYYY-MM=YYYY-MM-DD with the day inside the month, e.g. 2023-03=2023-03-30".into(),
            };
            let month = Month::parse(&month_text)
                .filter(|_| month_text.trim().len() == 7)
                .ok_or_else(bad)?;
            let day = chrono::NaiveDate::parse_from_str(day_text.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            if Month::from_date(day) != month {
                return Err(bad());
            }
            pinned.insert(month, day);
        }
        let lease_minutes = cli
            .lease_minutes
            .or(file.lease_minutes)
            .unwrap_or(crate::io::lease::DEFAULT_MINUTES);
        if !(1..=10_080).contains(&lease_minutes) {
            return Err(Error::InvalidArgument {
                what: "--lease-minutes".into(),
                value: lease_minutes.to_string(),
                expected: "from 1 to 10080 (a week): longer than any run, short enough for a crashed one".into(),
            });
        }
        let d = ColumnNames::default();
        let m = file.columns;
        Ok(JobConfig {
            input,
            output,
            fx_rates: cli.fx_rates.or(file.fx_rates),
            columns: ColumnNames {
                snapshot_date: m.snapshot_date.unwrap_or(d.snapshot_date),
                customer_id: m.customer_id.unwrap_or(d.customer_id),
                subscription_id: m.subscription_id.unwrap_or(d.subscription_id),
                mrr: m.mrr.unwrap_or(d.mrr),
                currency: m.currency.unwrap_or(d.currency),
                status: m.status.unwrap_or(d.status),
            },
            timezone,
            engine: EngineOptions {
                as_of,
                segment_by,
                reporting_currency: currency.to_ascii_uppercase(),
                horizon,
                close: CloseOptions { max_drop, pinned },
                zero_statuses: file
                    .zero_statuses
                    .unwrap_or_else(crate::engine::statuses::default_zero_statuses),
            },
            write_from,
            store: StoreOptions {
                s3_endpoint: cli.s3_endpoint.or(file.s3_endpoint),
            },
            lease_minutes,
            keep_previous: cli.keep_previous || file.keep_previous.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_beats_file_beats_default() {
        let file: ConfigFile =
            toml::from_str("input = 'a'\noutput = 'o'\nas_of = '2024-01'\nhorizon = 12\n[columns]\nmrr = 'amount'\n")
                .unwrap();
        let cli = Overrides {
            input: Some("b".into()),
            ..Default::default()
        };
        let cfg = JobConfig::resolve(cli, Some(file)).unwrap();
        assert_eq!(cfg.input, "b");
        assert_eq!(cfg.engine.horizon, 12);
        assert_eq!(cfg.engine.as_of, Month::parse("2024-01"));
        assert_eq!(cfg.columns.mrr, "amount");
        assert_eq!(cfg.columns.customer_id, "customer_id");
        assert_eq!(cfg.engine.reporting_currency, "USD");
    }

    #[test]
    fn keep_previous_from_the_flag_or_the_file() {
        let cli = |flag| Overrides {
            input: Some("i".into()),
            output: Some("o".into()),
            keep_previous: flag,
            ..Default::default()
        };
        let file = || toml::from_str::<ConfigFile>("keep_previous = true").unwrap();
        assert!(!JobConfig::resolve(cli(false), None).unwrap().keep_previous);
        assert!(JobConfig::resolve(cli(true), None).unwrap().keep_previous);
        assert!(JobConfig::resolve(cli(false), Some(file())).unwrap().keep_previous);
    }

    #[test]
    fn rejects_reserved_segment_names_and_bad_months() {
        let base = || Overrides {
            input: Some("i".into()),
            output: Some("o".into()),
            ..Default::default()
        };
        let err = JobConfig::resolve(
            Overrides {
                segment_by: Some(vec!["mrr".into()]),
                ..base()
            },
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("--segment-by"), "{err}");
        let err = JobConfig::resolve(
            Overrides {
                as_of: Some("2024-1".into()),
                ..base()
            },
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("YYYY-MM"), "{err}");
        assert!(toml::from_str::<ConfigFile>("inptu = 'x'").is_err());
        let err = JobConfig::resolve(
            Overrides {
                from: Some("2024-01".into()),
                ..base()
            },
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("both --from and --to"), "{err}");
    }

    #[test]
    fn close_options_from_the_command_line_or_the_file() {
        let base = || Overrides {
            input: Some("i".into()),
            output: Some("o".into()),
            ..Default::default()
        };
        let file: ConfigFile =
            toml::from_str("max_close_drop = 0.35\n[close_days]\n\"2023-03\" = \"2023-03-30\"\n").unwrap();
        let cfg = JobConfig::resolve(base(), Some(file)).unwrap();
        assert_eq!(cfg.engine.close.max_drop, Some(0.35));
        assert_eq!(cfg.engine.close.pinned.len(), 1);
        for bad in ["2023-03=2023-04-01", "2023-03", "2023-3=2023-03-30"] {
            let err = JobConfig::resolve(
                Overrides {
                    close_days: vec![bad.into()],
                    ..base()
                },
                None,
            )
            .unwrap_err();
            assert!(err.to_string().contains("--close-day"), "{bad}: {err}");
        }
        let err = JobConfig::resolve(
            Overrides {
                max_close_drop: Some(1.5),
                ..base()
            },
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("fraction"), "{err}");
    }

    #[test]
    fn interpolates_environment_variables() {
        let env = |name: &str| (name == "BUCKET").then(|| "acme".to_string());
        assert_eq!(
            interpolate("input = 's3://${BUCKET}/x'", env).unwrap(),
            "input = 's3://acme/x'"
        );
        let err = interpolate("${NOPE}", env).unwrap_err();
        assert!(err.contains("NOPE is not set"), "{err}");
    }
}
