//! `nrr` turns subscription snapshots into Net Revenue Retention tables.
//!
//! The crate is split so that the rules of the metric live apart from I/O:
//! [`engine`] wires the pure stages ([`month_close`], [`currency`],
//! [`ledger`], [`movements`], [`segments`], [`windows`], [`cohorts`]) that
//! take and return data frames; [`io`] reads snapshots and writes tables; [`tables`] is the
//! warehouse contract; [`job`] runs a whole batch from a resolved [`config::JobConfig`].
//! Every rule is described, with a worked example, in `docs/METRICS.md`.
#![warn(missing_docs)]

pub mod cohorts;
pub mod config;
pub mod currency;
pub mod engine;
pub mod error;
pub mod generate;
pub mod io;
pub mod job;
pub mod ledger;
pub mod month;
pub mod month_close;
pub mod movements;
pub mod report;
pub mod segments;
pub mod snapshots;
pub mod summary;
pub mod tables;
pub mod windows;

pub use error::{Error, ErrorKind, Result};
pub use month::Month;
