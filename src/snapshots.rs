//! The canonical snapshot schema: the column names and types every reader
//! normalises its input to, so the rules never see a source's own naming.

/// Snapshot date (`Date`).
pub const SNAPSHOT_DATE: &str = "snapshot_date";
/// Customer key (`String`).
pub const CUSTOMER_ID: &str = "customer_id";
/// Subscription key (`String`).
pub const SUBSCRIPTION_ID: &str = "subscription_id";
/// MRR in major units of `currency` (`Float64` or `Decimal`).
pub const MRR: &str = "mrr";
/// ISO currency code (`String`); readers fill the reporting currency when a file has none.
pub const CURRENCY: &str = "currency";
/// Subscription status (`String`, may be null).
pub const STATUS: &str = "status";
/// Index of the source file in [`Snapshots::files`] (`UInt32`).
pub const FILE: &str = "__file";
/// Month index (see [`crate::Month`]) (`Int32`), added by month close.
pub const MONTH: &str = "month";
/// Money in integer cents of the reporting currency (`Int64`).
pub const CENTS: &str = "cents";

/// The internal name of a `--segment-by` column, kept apart from canonical names.
pub fn segment_column(name: &str) -> String {
    format!("segment:{name}")
}

/// Where rows came from: the input as given and its files, indexed by the
/// [`FILE`] column, so a message names the file to fix.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Source files.
    pub files: Vec<String>,
    /// The input as the user gave it.
    pub input: String,
}

impl Sources {
    /// The file a row came from (the input when unknown).
    pub fn file(&self, index: Option<u32>) -> String {
        index
            .and_then(|i| self.files.get(i as usize))
            .cloned()
            .unwrap_or_else(|| self.input.clone())
    }
}

/// Source column names of the canonical snapshot columns (`[columns]` in
/// the config file maps them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnNames {
    /// Snapshot date column.
    pub snapshot_date: String,
    /// Customer key column.
    pub customer_id: String,
    /// Subscription key column.
    pub subscription_id: String,
    /// MRR column.
    pub mrr: String,
    /// Currency column (optional in the data).
    pub currency: String,
    /// Status column (optional in the data).
    pub status: String,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            snapshot_date: SNAPSHOT_DATE.into(),
            customer_id: CUSTOMER_ID.into(),
            subscription_id: SUBSCRIPTION_ID.into(),
            mrr: MRR.into(),
            currency: CURRENCY.into(),
            status: STATUS.into(),
        }
    }
}

/// What the close-day files say about the optional columns, by month, so
/// that no month's findings depend on later files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnsFound {
    /// The first timeline month none of whose close-day files has a currency column.
    pub first_month_without_currency: Option<i32>,
    /// The first timeline month by which some close-day files have a status
    /// column and others none.
    pub first_month_status_mixed: Option<i32>,
}
