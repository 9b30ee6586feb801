//! Integration tests: one binary, a module per area.

mod bad_input;
mod end_to_end;
mod examples;
mod invariants;
mod metrics_examples;
mod util;
