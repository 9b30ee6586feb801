//! Segments: which slice of the business a customer belongs to.
//!
//! Rule (docs/METRICS.md, "Segments"): a customer's value of a segment column
//! is fixed for life: the value at its cohort month, taken from its
//! highest-MRR subscription that month (ties: smallest subscription_id as
//! text); null becomes `(unknown)`. Because each customer sits in exactly one
//! value per segment, additive columns of a segment sum to the totals.
//! Tables carry the totals as `segment_name = 'all', segment_value = 'all'`,
//! and report each value from its first month (its earliest cohort) on, so
//! no month's rows depend on later data.

use polars::prelude::PlHashMap;

/// Segment name and value of the totals rows.
pub const ALL: &str = "all";
/// Segment value of a customer whose segment column was null.
pub const UNKNOWN: &str = "(unknown)";

/// The row whose segment values a customer takes: the highest MRR, ties to
/// the smallest subscription_id (as text). Candidates are (cents,
/// subscription_id, row).
pub fn pick<'a>(candidates: impl Iterator<Item = (i64, &'a str, usize)>) -> Option<usize> {
    candidates
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, _, row)| row)
}

/// A segment column's values, index = code, in text order.
#[derive(Debug, Clone)]
pub struct Dictionary {
    /// The segment column.
    pub name: String,
    /// Its values.
    pub values: Vec<String>,
}

/// Hands out codes for a segment's values as they are met.
pub struct Builder {
    name: String,
    codes: PlHashMap<String, u32>,
    values: Vec<String>,
}

impl Builder {
    /// A builder for segment `name`.
    pub fn new(name: &str) -> Self {
        Builder {
            name: name.to_string(),
            codes: PlHashMap::default(),
            values: Vec::new(),
        }
    }

    /// The value of a handed-out code.
    pub fn value(&self, code: u32) -> &str {
        &self.values[code as usize]
    }

    /// The code of a value (null is [`UNKNOWN`]).
    pub fn code(&mut self, value: Option<&str>) -> u32 {
        let value = value.unwrap_or(UNKNOWN);
        if let Some(code) = self.codes.get(value) {
            return *code;
        }
        let code = self.codes.len() as u32;
        self.codes.insert(value.to_string(), code);
        self.values.push(value.to_string());
        code
    }

    /// The dictionary in text order, and the map from handed-out codes to its codes.
    pub fn finish(self) -> (Dictionary, Vec<u32>) {
        let mut values: Vec<(String, u32)> = self.codes.into_iter().collect();
        values.sort();
        let mut remap = vec![0; values.len()];
        for (new, (_, old)) in values.iter().enumerate() {
            remap[*old as usize] = new as u32;
        }
        (
            Dictionary {
                name: self.name,
                values: values.into_iter().map(|(v, _)| v).collect(),
            },
            remap,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_mrr_wins_ties_go_to_the_smallest_id_as_text() {
        assert_eq!(pick([(100, "b", 0), (300, "a", 1), (200, "c", 2)].into_iter()), Some(1));
        assert_eq!(
            pick([(300, "9", 0), (300, "10", 1)].into_iter()),
            Some(1),
            "\"10\" < \"9\" as text"
        );
        assert_eq!(pick(std::iter::empty()), None);
    }

    #[test]
    fn dictionaries_are_in_text_order_and_null_is_unknown() {
        let mut b = Builder::new("plan");
        let codes: Vec<u32> = [Some("pro"), None, Some("basic"), Some("pro")]
            .iter()
            .map(|v| b.code(*v))
            .collect();
        let (dict, remap) = b.finish();
        assert_eq!(dict.values, ["(unknown)", "basic", "pro"]);
        let final_codes: Vec<u32> = codes.iter().map(|c| remap[*c as usize]).collect();
        assert_eq!(final_codes, [2, 0, 1, 2]);
    }
}
