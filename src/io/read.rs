//! Reading snapshot Parquet (a file, a directory tree or a glob, with Hive
//! `key=value` folders) into the canonical schema, and FX rate files.
//!
//! Each file's schema is read from its footer first, so a missing or
//! mistyped column is reported with the file's name before any data is read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use super::store::{self, Entry, Location, StoreOptions};
use crate::engine::currency::FxRates;
use crate::engine::month_close::{self, BusinessTz, Closed, DayTotals};
use crate::engine::statuses;
use crate::snapshots::{self as s, segment_column, ColumnNames, ColumnsFound, Sources};
use crate::{Error, Result};

/// A snapshot file as found, for the run manifest's input fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// Path or URI.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time (RFC 3339).
    pub modified: Option<String>,
    /// Entity tag (object stores).
    pub etag: Option<String>,
}

/// Splits an input into the folder to list and an optional glob (or single
/// file name) to match below it.
fn split_input(input: &str) -> (String, Option<Vec<String>>) {
    let parts: Vec<&str> = input.split('/').collect();
    if let Some(first_glob) = parts.iter().position(|p| p.contains(['*', '?', '['])) {
        let base = parts[..first_glob].join("/");
        return (base, Some(parts[first_glob..].iter().map(|p| p.to_string()).collect()));
    }
    let single = if store::is_remote(input) {
        input.ends_with(".parquet")
    } else {
        Path::new(input).is_file()
    };
    if single && parts.len() > 1 {
        let (dir, name) = input.rsplit_once('/').expect("has a slash");
        return (dir.to_string(), Some(vec![name.to_string()]));
    }
    if single {
        return (".".into(), Some(vec![input.to_string()]));
    }
    (input.to_string(), None)
}

/// What an input covers, to compare with the output: the file itself for a
/// single file, else the folder it lists.
pub fn input_location(input: &str, opts: &StoreOptions) -> Result<Location> {
    match split_input(input) {
        (_, Some(pattern)) if pattern.len() == 1 && !pattern[0].contains(['*', '?', '[']) => {
            Location::parse(input, opts)
        }
        (base, _) => Location::parse(&base, opts),
    }
}

/// The location an input names and its snapshot files, sorted by key.
pub fn list_files(input: &str, opts: &StoreOptions) -> Result<(Location, Vec<Entry>)> {
    let (base, pattern) = split_input(input);
    let root = Location::parse(&base, opts)?;
    if let Location::Local(dir) = &root {
        if !dir.is_dir() {
            return Err(Error::NoInputFiles {
                path: input.to_string(),
            });
        }
    }
    let mut files = root.list()?;
    files.retain(|f| match &pattern {
        Some(pattern) => glob_match(pattern, &f.key.split('/').map(String::from).collect::<Vec<_>>()),
        None => f.key.ends_with(".parquet"),
    });
    if files.is_empty() {
        return Err(Error::NoInputFiles {
            path: input.to_string(),
        });
    }
    Ok((root, files))
}

/// Matches path components against glob components: `*` and `?` within a
/// component, `**` for any number of components.
fn glob_match(pattern: &[String], path: &[String]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((p, rest)) if p == "**" => (0..=path.len()).any(|i| glob_match(rest, &path[i..])),
        Some((p, rest)) => match path.split_first() {
            Some((c, path_rest)) => wildcard(p.as_bytes(), c.as_bytes()) && glob_match(rest, path_rest),
            None => false,
        },
    }
}

fn wildcard(p: &[u8], t: &[u8]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some(b'*'), _) => wildcard(&p[1..], t) || (!t.is_empty() && wildcard(p, &t[1..])),
        (Some(b'?'), Some(_)) => wildcard(&p[1..], &t[1..]),
        (Some(a), Some(b)) if a == b => wildcard(&p[1..], &t[1..]),
        _ => false,
    }
}

/// `key=value` folder names in a key.
fn hive_pairs(key: &str) -> Vec<(String, String)> {
    let folders = key.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
    folders
        .split('/')
        .filter_map(|c| c.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// One snapshot file opened: its schema and a lazy scan of it.
struct Opened {
    schema: Schema,
    scan: LazyFrame,
}

/// Reads a file's schema (from the footer for local files; remote files are
/// fetched whole, as the engine reads all of them) and prepares its scan.
fn open(root: &Location, entry: &Entry) -> Result<Opened> {
    let shown = root.display(&entry.key);
    let unreadable = |reason: String| Error::UnreadableFile {
        path: shown.clone(),
        reason,
    };
    // A local file is read in place; a remote one is fetched whole.
    enum Body {
        File(std::path::PathBuf),
        Bytes(Vec<u8>),
    }
    let body = match root.local_path(&entry.key) {
        Some(path) => Body::File(path),
        None => Body::Bytes(root.get(&entry.key)?),
    };
    // fs-err names the path in its error; Polars' reader takes the std file.
    let open_local = |path: &Path| -> Result<std::fs::File> {
        Ok(fs_err::File::open(path)
            .map_err(|e| unreadable(e.to_string()))?
            .into_parts()
            .0)
    };
    let arrow = match &body {
        Body::File(path) => ParquetReader::new(open_local(path)?).schema(),
        Body::Bytes(bytes) => ParquetReader::new(std::io::Cursor::new(bytes.as_slice())).schema(),
    }
    .map_err(|e| unreadable(e.to_string()))?;

    if let Some(zone) = unnamed_zone(&arrow) {
        // Polars cannot name some zones pandas writes (such as +05:30) and
        // would stop on them; the stored instants are UTC whatever the label,
        // so the file is read by its Parquet types, which say just that.
        tracing::info!(file = %shown, zone, "time zone label ignored: read by the Parquet types");
        let frame = match body {
            Body::File(path) => by_parquet_types(ParquetReader::new(open_local(&path)?)),
            Body::Bytes(bytes) => by_parquet_types(ParquetReader::new(std::io::Cursor::new(bytes))),
        }
        .map_err(|e| unreadable(e.to_string()))?;
        let schema = frame.schema().as_ref().clone();
        return Ok(Opened {
            schema,
            scan: frame.lazy(),
        });
    }

    let args = ScanArgsParquet {
        hive_options: HiveOptions::new_disabled(),
        ..Default::default()
    };
    let scan = match body {
        Body::File(path) => LazyFrame::scan_parquet(PlRefPath::new(path.display().to_string().as_str()), args)?,
        Body::Bytes(bytes) => {
            let sources = ScanSources::Buffers(std::sync::Arc::from(vec![bytes.into()]));
            LazyFrame::scan_parquet_sources(sources, args)?
        }
    };
    let schema = arrow
        .iter_values()
        .map(|f| (f.name.clone(), DataType::from_arrow_field(f)))
        .collect();
    Ok(Opened { schema, scan })
}

/// The first timestamp time zone of a file's Arrow schema that Polars cannot parse.
fn unnamed_zone(arrow: &ArrowSchema) -> Option<String> {
    arrow.iter_values().find_map(|f| match &f.dtype {
        ArrowDataType::Timestamp(_, Some(zone)) if TimeZone::opt_try_new(Some(zone.clone())).is_err() => {
            Some(zone.to_string())
        }
        _ => None,
    })
}

/// Reads a whole file by its Parquet types, ignoring the Arrow schema stored
/// beside them (a zoned TIMESTAMP then reads as UTC, which it is).
fn by_parquet_types<R: polars::io::mmap::MmapBytesReader>(mut reader: ParquetReader<R>) -> PolarsResult<DataFrame> {
    let mut metadata = (**reader.get_metadata()?).clone();
    if let Some(pairs) = metadata.key_value_metadata.as_mut() {
        pairs.retain(|kv| kv.key != "ARROW:schema");
    }
    reader.set_metadata(std::sync::Arc::new(metadata));
    reader.finish()
}

/// What a canonical column accepts.
#[derive(Clone, Copy)]
enum Want {
    Date,
    Key,
    Money,
    Text,
}

impl Want {
    fn accepts(self, dtype: &DataType) -> bool {
        match self {
            Want::Date => matches!(dtype, DataType::Date | DataType::Datetime(..)),
            Want::Key => dtype.is_string() || dtype.is_integer() || dtype.is_categorical(),
            Want::Money => dtype.is_primitive_numeric() || dtype.is_decimal(),
            // A column of nulls only (pandas writes an all-None column so) is all-null text.
            Want::Text => {
                dtype.is_string()
                    || dtype.is_integer()
                    || dtype.is_categorical()
                    || dtype.is_bool()
                    || dtype.is_enum()
                    || dtype.is_null()
            }
        }
    }

    fn expected(self) -> (&'static str, &'static str) {
        match self {
            Want::Date => (
                "DATE or TIMESTAMP",
                "Export it as a DATE (e.g. CAST(col AS DATE)); text dates are not parsed",
            ),
            Want::Key => ("STRING or INTEGER", "Export the key as text or an integer"),
            Want::Money => (
                "a number (FLOAT, DECIMAL or INTEGER) in major units",
                "Export MRR as a number, e.g. 49.99",
            ),
            Want::Text => ("STRING", "Export it as text"),
        }
    }
}

/// What to read: the input and how its columns are named and typed.
pub struct ReadOptions<'a> {
    /// Source column names.
    pub names: &'a ColumnNames,
    /// Segment columns.
    pub segment_by: &'a [String],
    /// The reporting currency (for files without a currency column).
    pub reporting: &'a str,
    /// The as-of month: snapshots after it are not read (files whose Hive
    /// `snapshot_date` folder is later are not opened at all).
    pub as_of: Option<crate::Month>,
    /// The business time zone, which decides the day of a zoned timestamp.
    pub timezone: BusinessTz,
    /// Months closed on a chosen day (`--close-day`).
    pub pinned: &'a BTreeMap<crate::Month, NaiveDate>,
    /// Statuses whose rows count zero.
    pub zero_statuses: &'a [String],
    /// Object-store settings.
    pub store: &'a StoreOptions,
}

/// Reads the month-close rows of an input: lists its files, opens only the
/// close days' files when Hive folders name the days, finds close(M) and the
/// timeline, and collects the rows on close days (docs/METRICS.md, "Month
/// close"). Also returns the files read, for the manifest. A file that cannot
/// be decoded is named in the error.
pub fn read_close_rows(input: &str, opts: &ReadOptions) -> Result<(Closed, CloseRows, Vec<SourceFile>)> {
    let (root, mut files) = list_files(input, opts.store)?;
    let folder_day = |f: &Entry| {
        hive_pairs(&f.key)
            .iter()
            .find(|(k, _)| *k == opts.names.snapshot_date)
            .and_then(|(_, v)| month_close::snapshot_day_of_text(v, opts.timezone))
    };
    if let Some(until) = opts.as_of.map(|m| m.last_day()) {
        // A day in the folder name is the file's snapshot day: skip later days unread.
        let earliest = files.iter().filter_map(folder_day).min();
        files.retain(|f| folder_day(f).is_none_or(|d| d <= until));
        if files.is_empty() {
            return Err(Error::InvalidArgument {
                what: "--as-of/--to".into(),
                value: crate::Month::from_date(until).to_string(),
                expected: format!(
                    "the timeline must end on or after the first snapshot ({})",
                    earliest.map(|d| d.to_string()).unwrap_or_default()
                ),
            });
        }
    }
    // When every file sits in a snapshot_date=… folder, the close days (and
    // the day before each, for the partial-close check) are known from the
    // listing, by the same rule as the rows: only their files are opened. If
    // a file's rows then turn out to lie on other days (or it has none), the
    // listing misled: every file is read instead.
    let all_files = files.clone();
    let listed: Option<Vec<NaiveDate>> = files.iter().map(folder_day).collect();
    if let Some(days) = &listed {
        let plan = month_close::month_days(days.iter().copied(), opts.pinned)?;
        let mut keep = days.iter().map(|d| {
            plan.get(&crate::Month::from_date(*d))
                .is_some_and(|m| m.close == *d || m.earlier == Some(*d))
        });
        files.retain(|_| keep.next().unwrap_or(true));
    }
    let mut scan = Scan::open(&root, &files, input, opts)?;
    let (closed, rows, files) = tracing::info_span!("month_close").in_scope(|| -> Result<_> {
        let mut days = scan.day_counts()?;
        if listed.is_some() && !days.match_folders(files.iter().map(folder_day)) {
            tracing::info!("a close-day file holds rows of other days, or none: reading every day");
            files = all_files.clone();
            scan = Scan::open(&root, &files, input, opts)?;
            days = scan.day_counts()?;
        }
        tracing::info!(
            opened = files.len(),
            skipped = all_files.len() - files.len(),
            "files of days that close no month skipped"
        );
        days.check(&scan.sources, &opts.names.snapshot_date)?;
        let plan = month_close::month_days(days.days(), opts.pinned)?;
        let close = plan.iter().map(|(m, d)| (*m, d.close)).collect();
        let (timeline, close_dates) = month_close::timeline(&close, opts.as_of, input)?;
        let earlier_days: BTreeMap<crate::Month, NaiveDate> = close_dates
            .keys()
            .filter_map(|m| Some((*m, plan[m].earlier?)))
            .collect();
        let earlier = scan.day_totals(&earlier_days, opts.zero_statuses)?;
        let columns = scan.columns_found(&days, &close_dates);
        tracing::info!(
            rows_read = days.rows(),
            months = timeline.len(),
            first = %timeline.first,
            last = %timeline.last,
            close_rows = days.rows_on(&close_dates),
            "month close"
        );
        let rows = CloseRows::new(scan, &days, &close_dates);
        let closed = Closed {
            timeline,
            close_dates,
            earlier,
            columns,
            sources: rows.scan.sources.clone(),
        };
        Ok((closed, rows, files))
    })?;
    let sources = files
        .iter()
        .map(|f| SourceFile {
            path: root.display(&f.key),
            size: f.size,
            modified: f.modified.clone(),
            etag: f.etag.clone(),
        })
        .collect();
    Ok((closed, rows, sources))
}

/// The close rows of each month, read when the engine asks for them: only
/// the files that hold rows of that month's close day are opened.
pub struct CloseRows {
    scan: Scan,
    close: BTreeMap<crate::Month, NaiveDate>,
    /// The files with rows on each close day (days since 1970-01-01).
    files_on: BTreeMap<i32, Vec<u32>>,
    /// Files read for more than one month (they hold several close days).
    pub rereads: usize,
}

impl CloseRows {
    fn new(scan: Scan, days: &DayCounts, close: &BTreeMap<crate::Month, NaiveDate>) -> CloseRows {
        let close_days: BTreeSet<i32> = close.values().map(|d| crate::month::date_to_epoch_days(*d)).collect();
        let mut files_on: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        let mut months_of_file: BTreeMap<u32, usize> = BTreeMap::new();
        for (file, day, _) in &days.groups {
            if let Some(day) = day.filter(|d| close_days.contains(d)) {
                files_on.entry(day).or_default().push(*file);
                *months_of_file.entry(*file).or_default() += 1;
            }
        }
        let rereads = months_of_file.values().filter(|n| **n > 1).count();
        if rereads > 0 {
            tracing::info!(
                files = rereads,
                "files hold the close days of several months: each is read once per month it holds"
            );
        } else {
            tracing::info!("one set of files per month: each close day's files are read once");
        }
        CloseRows {
            scan,
            close: close.clone(),
            files_on,
            rereads,
        }
    }

    /// Month `month`'s close rows, with [`s::MONTH`] added.
    pub fn month(&self, month: crate::Month) -> Result<DataFrame> {
        let day = self
            .close
            .get(&month)
            .ok_or_else(|| Error::Invariant(format!("no close day for {month}")))?;
        let files = self
            .files_on
            .get(&crate::month::date_to_epoch_days(*day))
            .map(Vec::as_slice)
            .unwrap_or_default();
        self.scan.collect_day(*day, files)
    }
}

/// The opened snapshot files as one lazy frame in the canonical schema.
struct Scan {
    frame: LazyFrame,
    /// Each file's scan in the canonical schema (the parts of `frame`).
    selected: Vec<LazyFrame>,
    /// Per file: whether it has a currency column, and a status column.
    currency_present: Vec<bool>,
    status_present: Vec<bool>,
    /// Each file's own scan, to find a file that cannot be decoded.
    scans: Vec<LazyFrame>,
    sources: Sources,
}

/// Rows per (file, snapshot day), from one pass over the date column.
struct DayCounts {
    /// (file index, day as days since 1970-01-01 or null, rows).
    groups: Vec<(u32, Option<i32>, u64)>,
}

impl DayCounts {
    /// Whether each file's rows lie on the day its folder names, and only there.
    fn match_folders(&self, folder_days: impl Iterator<Item = Option<NaiveDate>>) -> bool {
        let mut per_file: Vec<Vec<Option<i32>>> = Vec::new();
        for (file, day, _) in &self.groups {
            let file = *file as usize;
            if per_file.len() <= file {
                per_file.resize(file + 1, Vec::new());
            }
            per_file[file].push(*day);
        }
        folder_days.enumerate().all(|(i, folder)| {
            let folder = folder.map(crate::month::date_to_epoch_days);
            per_file
                .get(i)
                .is_some_and(|days| !days.is_empty() && days.iter().all(|d| *d == folder))
        })
    }

    /// Rejects null and out-of-range snapshot days, naming the file.
    fn check(&self, sources: &Sources, column: &str) -> Result<()> {
        if let Some((file, _, _)) = self.groups.iter().find(|(_, day, _)| day.is_none()) {
            let count = self
                .groups
                .iter()
                .filter(|(f, day, _)| f == file && day.is_none())
                .map(|(_, _, n)| *n as usize)
                .sum();
            return Err(Error::NullValues {
                path: sources.file(Some(*file)),
                column: column.to_string(),
                count,
                example: String::new(),
            });
        }
        let out_of_range = self.groups.iter().find_map(|(file, day, _)| {
            let day = (*day)?;
            let date = crate::month::epoch_days_to_date(day);
            (!date.is_some_and(month_close::day_in_range)).then_some((*file, day, date))
        });
        if let Some((file, day, date)) = out_of_range {
            return Err(Error::DateOutOfRange {
                path: sources.file(Some(file)),
                column: column.to_string(),
                value: date.map_or_else(|| format!("{day} days from 1970-01-01"), |d| d.to_string()),
            });
        }
        Ok(())
    }

    /// Every snapshot day (after [`DayCounts::check`]).
    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.groups
            .iter()
            .filter_map(|(_, day, _)| crate::month::epoch_days_to_date((*day)?))
    }

    /// Rows on the given days (one per month).
    fn rows_on(&self, days: &BTreeMap<crate::Month, NaiveDate>) -> u64 {
        let days: BTreeSet<i32> = days.values().map(|d| crate::month::date_to_epoch_days(*d)).collect();
        self.groups
            .iter()
            .filter(|(_, day, _)| day.is_some_and(|d| days.contains(&d)))
            .map(|(_, _, n)| n)
            .sum()
    }

    /// Rows read.
    fn rows(&self) -> u64 {
        self.groups.iter().map(|(_, _, n)| n).sum()
    }
}

impl Scan {
    /// Counts rows per file and day.
    fn day_counts(&self) -> Result<DayCounts> {
        // File by file: only one file's dates are ever held, however large the input.
        let mut parts = Vec::with_capacity(self.selected.len());
        for scan in &self.selected {
            let counts = scan
                .clone()
                .select([col(s::FILE), col(s::SNAPSHOT_DATE).cast(DataType::Int32).alias("day")])
                .group_by([col(s::FILE), col("day")])
                .agg([len().cast(DataType::UInt64).alias("rows")])
                .collect();
            parts.push(self.decoded(counts)?);
        }
        let counts = match parts.len() {
            0 => DataFrame::empty(),
            _ => concat(
                parts.into_iter().map(|p| p.lazy()).collect::<Vec<_>>(),
                UnionArgs::default(),
            )?
            .sort([s::FILE, "day"], Default::default())
            .collect()?,
        };
        if counts.height() == 0 {
            return Ok(DayCounts { groups: Vec::new() });
        }
        let (files, days, rows) = (
            counts.column(s::FILE)?.u32()?,
            counts.column("day")?.i32()?,
            counts.column("rows")?.u64()?,
        );
        let groups = (0..counts.height())
            .map(|i| {
                (
                    files.get(i).unwrap_or_default(),
                    days.get(i),
                    rows.get(i).unwrap_or_default(),
                )
            })
            .collect();
        Ok(DayCounts { groups })
    }

    /// Counted subscriptions and their MRR as exported on the given days
    /// (one per month), read without materialising the rows.
    fn day_totals(
        &self,
        days: &BTreeMap<crate::Month, NaiveDate>,
        zero_statuses: &[String],
    ) -> Result<BTreeMap<crate::Month, DayTotals>> {
        if days.is_empty() {
            return Ok(BTreeMap::new());
        }
        let list: Vec<i32> = days.values().map(|d| crate::month::date_to_epoch_days(*d)).collect();
        let list = Series::new("days".into(), list).cast(&DataType::Date)?;
        let totals = self
            .frame
            .clone()
            .filter(col(s::SNAPSHOT_DATE).is_in(lit(list).implode(false), false))
            .filter(statuses::counts(col(s::STATUS), zero_statuses))
            .group_by([col(s::SNAPSHOT_DATE).cast(DataType::Int32).alias("day")])
            .agg([
                len().cast(DataType::UInt64).alias("n"),
                col(s::MRR).cast(DataType::Float64).sum().alias("mrr"),
            ])
            .collect();
        let totals = self.decoded(totals)?;
        let (day, n, mrr) = (
            totals.column("day")?.i32()?,
            totals.column("n")?.u64()?,
            totals.column("mrr")?.f64()?,
        );
        let mut out = BTreeMap::new();
        for i in 0..totals.height() {
            let Some(date) = day.get(i).and_then(crate::month::epoch_days_to_date) else {
                continue;
            };
            out.insert(
                crate::Month::from_date(date),
                DayTotals {
                    day: date,
                    subscriptions: n.get(i).unwrap_or_default(),
                    mrr: mrr.get(i).unwrap_or_default(),
                },
            );
        }
        // A day whose rows all count zero has no group: it has no subscriptions.
        for (m, d) in days {
            out.entry(*m).or_insert(DayTotals {
                day: *d,
                ..Default::default()
            });
        }
        Ok(out)
    }

    /// What the close-day files of the timeline say about the optional
    /// columns, month by month (`days` tells which file holds which day).
    fn columns_found(&self, days: &DayCounts, close: &BTreeMap<crate::Month, NaiveDate>) -> ColumnsFound {
        let close_days: BTreeMap<i32, crate::Month> = close
            .iter()
            .map(|(m, d)| (crate::month::date_to_epoch_days(*d), *m))
            .collect();
        // Per timeline month: (any file with currency, files with status, files without).
        let mut by_month: BTreeMap<crate::Month, (bool, bool, bool)> = BTreeMap::new();
        for (file, day, _) in &days.groups {
            let Some(month) = day.and_then(|d| close_days.get(&d)) else {
                continue;
            };
            let f = *file as usize;
            let entry = by_month.entry(*month).or_default();
            entry.0 |= self.currency_present.get(f).copied().unwrap_or(false);
            let status = self.status_present.get(f).copied().unwrap_or(false);
            entry.1 |= status;
            entry.2 |= !status;
        }
        let first_month_without_currency = by_month.iter().find(|(_, v)| !v.0).map(|(m, _)| m.0);
        let (mut with, mut without) = (false, false);
        let first_month_status_mixed = by_month.iter().find_map(|(m, v)| {
            with |= v.1;
            without |= v.2;
            (with && without).then_some(m.0)
        });
        ColumnsFound {
            first_month_without_currency,
            first_month_status_mixed,
        }
    }

    /// The rows of one close day from the given files, with [`s::MONTH`] added.
    fn collect_day(&self, day: NaiveDate, files: &[u32]) -> Result<DataFrame> {
        let day_value = lit(crate::month::date_to_epoch_days(day)).cast(DataType::Date);
        let frames: Vec<LazyFrame> = files.iter().map(|f| self.selected[*f as usize].clone()).collect();
        let frame = if frames.is_empty() {
            // A day whose rows all vanished (cannot happen after the day counts): an empty frame of the schema.
            self.frame.clone().limit(0)
        } else {
            concat(
                frames,
                UnionArgs {
                    parallel: true,
                    rechunk: false,
                    ..Default::default()
                },
            )?
        };
        // A filter on the day, pushed into each file's scan, where
        // row-group statistics skip the row groups of other days.
        let rows = frame
            .filter(col(s::SNAPSHOT_DATE).eq(day_value))
            .with_column(month_close::month_of(col(s::SNAPSHOT_DATE)).alias(s::MONTH))
            .collect();
        self.decoded(rows)
    }

    /// A collected result, or the error naming the file that cannot be
    /// decoded (a failed collect over all files does not say which).
    fn decoded(&self, result: PolarsResult<DataFrame>) -> Result<DataFrame> {
        result.map_err(|e| {
            self.scans
                .iter()
                .zip(&self.sources.files)
                .find_map(|(scan, path)| {
                    scan.clone().collect().err().map(|e| Error::UnreadableFile {
                        path: path.clone(),
                        reason: e.to_string(),
                    })
                })
                .unwrap_or(Error::Polars(e))
        })
    }

    /// Opens `files` (schemas checked now, data read when collected).
    fn open(root: &Location, files: &[Entry], input: &str, opts: &ReadOptions) -> Result<Scan> {
        let names = opts.names;
        let opened = files.iter().map(|f| open(root, f)).collect::<Result<Vec<_>>>()?;
        let schemas: Vec<&Schema> = opened.iter().map(|o| &o.schema).collect();

        // One MRR type for all files: exact decimals when every file has them, else Float64.
        let mut money = Some(0_usize);
        for schema in &schemas {
            match schema.get(&names.mrr) {
                Some(DataType::Decimal(_, scale)) => money = money.map(|m| m.max(*scale)),
                Some(dtype) if dtype.is_integer() => {}
                _ => money = None,
            }
        }
        let money_type = match money {
            Some(scale) if scale <= 18 => DataType::Decimal(38, scale),
            _ => DataType::Float64,
        };

        let mut columns: Vec<(&str, &str, Want, bool)> = vec![
            (s::SNAPSHOT_DATE, &names.snapshot_date, Want::Date, true),
            (s::CUSTOMER_ID, &names.customer_id, Want::Key, true),
            (s::SUBSCRIPTION_ID, &names.subscription_id, Want::Key, true),
            (s::MRR, &names.mrr, Want::Money, true),
            (s::CURRENCY, &names.currency, Want::Text, false),
            (s::STATUS, &names.status, Want::Text, false),
        ];
        let segment_names: Vec<String> = opts.segment_by.iter().map(|s| segment_column(s)).collect();
        for (segment, internal) in opts.segment_by.iter().zip(&segment_names) {
            columns.push((internal, segment, Want::Text, false));
        }

        // A segment column no file has is a typo, not a column of nulls.
        for segment in opts.segment_by {
            let present = files
                .iter()
                .zip(&schemas)
                .any(|(f, schema)| schema.contains(segment) || hive_pairs(&f.key).iter().any(|(k, _)| k == segment));
            if !present {
                return Err(Error::MissingSegmentColumn {
                    path: root.display(&files[0].key),
                    column: segment.clone(),
                    found: schemas[0]
                        .iter_names()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }

        let has = |file: &Entry, schema: &Schema, name: &str| {
            schema.contains(name) || hive_pairs(&file.key).iter().any(|(k, _)| k == name)
        };
        let currency_present: Vec<bool> = files
            .iter()
            .zip(&schemas)
            .map(|(f, schema)| has(f, schema, &names.currency))
            .collect();
        let status_present: Vec<bool> = files
            .iter()
            .zip(&schemas)
            .map(|(f, schema)| has(f, schema, &names.status))
            .collect();
        let count = |present: &[bool]| present.iter().filter(|p| **p).count();
        tracing::info!(
            files = files.len(),
            currency = count(&currency_present),
            status = count(&status_present),
            segments = ?opts
                .segment_by
                .iter()
                .map(|seg| (seg.as_str(), files.iter().zip(&schemas).filter(|(f, sc)| has(f, sc, seg)).count()))
                .collect::<Vec<_>>(),
            "optional columns found (files with each)"
        );

        let mut frames = Vec::with_capacity(files.len());
        for (index, (file, opened)) in files.iter().zip(&opened).enumerate() {
            let path = root.display(&file.key);
            let schema = &opened.schema;
            let hive = hive_pairs(&file.key);
            let mut exprs = Vec::with_capacity(columns.len() + 1);
            for &(canonical, source, want, required) in &columns {
                let target = match want {
                    Want::Date => DataType::Date,
                    Want::Money => money_type.clone(),
                    Want::Key | Want::Text => DataType::String,
                };
                let expr = if let Some(dtype) = schema.get(source) {
                    if !want.accepts(dtype) {
                        let (expected, fix) = want.expected();
                        return Err(Error::WrongType {
                            path,
                            column: source.to_string(),
                            found: dtype.to_string(),
                            expected,
                            fix,
                        });
                    }
                    if matches!(want, Want::Date) {
                        month_close::snapshot_day(col(source), dtype, opts.timezone)
                    } else if matches!(dtype, DataType::Float32) {
                        // Widening an f32 adds digits (2.675 -> 2.674999952...):
                        // go through its shortest text so the written value survives.
                        col(source).cast(DataType::String).cast(target)
                    } else {
                        col(source).cast(target)
                    }
                } else if let Some((key, value)) = hive.iter().find(|(k, _)| k == source) {
                    match want {
                        Want::Date => {
                            let date = month_close::snapshot_day_of_text(value, opts.timezone).ok_or_else(|| {
                                Error::BadPartitionValue {
                                    path: path.clone(),
                                    key: key.clone(),
                                    value: value.clone(),
                                }
                            })?;
                            lit(crate::month::date_to_epoch_days(date)).cast(DataType::Date)
                        }
                        Want::Money => {
                            return Err(Error::WrongType {
                                path,
                                column: source.to_string(),
                                found: "a partition folder".into(),
                                expected: "a column inside the file",
                                fix: "MRR must be a column of the Parquet file",
                            })
                        }
                        Want::Key | Want::Text => lit(value.as_str()),
                    }
                } else if required {
                    return Err(Error::MissingColumn {
                        path,
                        column: source.to_string(),
                        canonical: canonical.to_string(),
                        found: schema.iter_names().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
                    });
                } else if canonical == s::CURRENCY {
                    // A file without a currency column is in the reporting currency.
                    lit(opts.reporting)
                } else {
                    lit(NULL).cast(DataType::String)
                };
                exprs.push(expr.alias(canonical));
            }
            exprs.push(lit(index as u32).cast(DataType::UInt32).alias(s::FILE));
            frames.push(opened.scan.clone().select(exprs));
        }
        let frames_kept = frames.clone();
        let frame = concat(
            frames,
            UnionArgs {
                parallel: true,
                rechunk: false,
                ..Default::default()
            },
        )?;
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        for f in files {
            tracing::debug!(file = %root.display(&f.key), size = f.size, "input file");
        }
        tracing::info!(files = files.len(), bytes, input, "snapshot files listed");
        Ok(Scan {
            selected: frames_kept,
            frame,
            currency_present,
            status_present,
            scans: opened.into_iter().map(|o| o.scan).collect(),
            sources: Sources {
                files: files.iter().map(|f| root.display(&f.key)).collect(),
                input: input.to_string(),
            },
        })
    }
}

/// Reads an FX rates Parquet file (columns month, currency, rate), local or remote.
pub fn read_fx_rates(uri: &str, opts: &StoreOptions) -> Result<FxRates> {
    let (dir, name) = uri.rsplit_once('/').unwrap_or((".", uri));
    let root = Location::parse(dir, opts)?;
    if !root.exists(name)? {
        return Err(Error::BadFxRates {
            path: uri.to_string(),
            problem: "no such file; pass the path of a Parquet file with columns month, currency, rate".into(),
        });
    }
    let bytes = root.get(name)?;
    let frame = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::UnreadableFile {
            path: uri.to_string(),
            reason: e.to_string(),
        })?;
    FxRates::from_frame(uri, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> Vec<String> {
        p.split('/').map(String::from).collect()
    }

    #[test]
    fn inputs_split_into_folder_and_pattern() {
        assert_eq!(
            split_input("s3://b/exports/**/*.parquet"),
            ("s3://b/exports".into(), Some(vec!["**".into(), "*.parquet".into()]))
        );
        assert_eq!(
            split_input("s3://b/x/day.parquet"),
            ("s3://b/x".into(), Some(vec!["day.parquet".into()]))
        );
        assert_eq!(split_input("s3://b/exports"), ("s3://b/exports".into(), None));
    }

    #[test]
    fn globs_match_components() {
        assert!(glob_match(&parts("**/*.parquet"), &parts("a/b/c.parquet")));
        assert!(glob_match(&parts("**/*.parquet"), &parts("c.parquet")));
        assert!(glob_match(
            &parts("snapshot_date=2024-0?-*/*.parquet"),
            &parts("snapshot_date=2024-01-31/x.parquet")
        ));
        assert!(!glob_match(&parts("*.parquet"), &parts("a/c.parquet")));
        assert!(!glob_match(&parts("*.parquet"), &parts("c.csv")));
    }

    #[test]
    fn hive_pairs_come_from_folders_of_the_key() {
        let pairs = hive_pairs("snapshot_date=2024-01-31/region=EU/f.parquet");
        assert_eq!(
            pairs,
            vec![
                ("snapshot_date".into(), "2024-01-31".into()),
                ("region".into(), "EU".into())
            ]
        );
        assert!(hive_pairs("f.parquet").is_empty());
    }
}
