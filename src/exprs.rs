//! Small expression and frame builders shared by the aggregating stages.

use polars::prelude::*;

use crate::Month;

/// Number of rows where `condition` holds, as `Int64`.
pub(crate) fn count_if(condition: Expr) -> Expr {
    condition.cast(DataType::Int64).sum()
}

/// Sum of `value` over rows where `condition` holds (0 when none).
pub(crate) fn sum_if(condition: Expr, value: Expr) -> Expr {
    when(condition).then(value).otherwise(lit(0_i64)).sum()
}

/// The smaller of two integer expressions.
pub(crate) fn min2(a: Expr, b: Expr) -> Expr {
    when(a.clone().lt(b.clone())).then(a).otherwise(b)
}

/// `numerator / denominator` as `Float64`, null where the denominator is 0.
pub(crate) fn ratio(numerator: Expr, denominator: Expr) -> Expr {
    when(denominator.clone().gt(lit(0)))
        .then(numerator.cast(DataType::Float64) / denominator.cast(DataType::Float64))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// A one-column frame of month indices named `name`.
pub(crate) fn months_frame(name: &str, months: impl Iterator<Item = Month>) -> PolarsResult<DataFrame> {
    let values: Vec<i32> = months.map(|m| m.0).collect();
    DataFrame::new_infer_height(vec![Column::new(name.into(), values)])
}

/// Replaces nulls with 0 in the named integer columns.
pub(crate) fn zero_fill(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|n| col(*n).fill_null(lit(0_i64)).alias(*n)).collect()
}
