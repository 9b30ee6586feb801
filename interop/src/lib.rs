//! Test-only package: see `tests/arrow_rs.rs`.
