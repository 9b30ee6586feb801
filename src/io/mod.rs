//! The edges: reading snapshots and FX rates, writing tables.
//!
//! Paths are plain strings so that object-store URIs (`s3://…`) can be added
//! here without touching the engine, which only sees data frames.

pub mod lease;
pub mod manifest;
pub mod published;
pub mod read;
pub mod store;
pub mod write;
