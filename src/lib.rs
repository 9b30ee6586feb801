//! `nrr` turns subscription snapshots into Net Revenue Retention tables.
//!
//! The crate is split so that the rules of the metric live apart from I/O:
//! [`engine`] is pure (month-close rows in, tables out; its module list
//! shows its layers); [`io`] reads snapshots and writes tables;
//! [`snapshots`] is the input schema and [`tables`] the warehouse contract;
//! [`job`] runs a whole batch from a resolved [`config::JobConfig`].
//! Every rule is described, with a worked example, in `docs/METRICS.md`.
#![warn(missing_docs)]

pub mod config;
pub mod diff;
pub mod engine;
pub mod error;
pub mod explain;
pub mod generate;
pub mod io;
pub mod job;
pub mod month;
pub mod report;
pub mod snapshots;
pub mod summary;
pub mod tables;

pub use error::{Error, ErrorKind, Result};
pub use month::Month;
