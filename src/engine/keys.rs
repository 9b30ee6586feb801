//! The keys of the aggregate tables: the totals and each segment value.
//!
//! Rule (docs/METRICS.md, "Segments"): the tables carry the totals as
//! `segment_name = 'all', segment_value = 'all'` and one row per segment
//! value, reported from its first month (its earliest cohort) on, so no
//! month's rows depend on later data. A customer counts in the totals and in
//! exactly one value of each segment column.

use super::month_close::Timeline;
use super::segments::{Dictionary, ALL};

/// The (segment_name, segment_value) keys of the aggregate tables: key 0 is
/// the totals, then each segment's values in order.
#[derive(Debug)]
pub struct Keys {
    /// Segment name of each key.
    pub names: Vec<String>,
    /// Segment value of each key.
    pub values: Vec<String>,
    /// First month each key is reported.
    pub first: Vec<i32>,
    /// Key index of code 0 of each segment, and one past the last.
    offsets: Vec<usize>,
}

impl Keys {
    /// The keys of the segment dictionaries (values in text order), each
    /// reported from `first[k]`, its earliest cohort (the totals from the
    /// first month of the timeline).
    pub fn new(dictionaries: &[Dictionary], first: Vec<i32>, timeline: Timeline) -> Keys {
        let mut keys = Keys {
            names: vec![ALL.into()],
            values: vec![ALL.into()],
            first: vec![timeline.first.0],
            offsets: vec![],
        };
        for dict in dictionaries {
            keys.offsets.push(keys.names.len());
            for value in &dict.values {
                keys.names.push(dict.name.clone());
                keys.values.push(value.clone());
            }
        }
        keys.offsets.push(keys.names.len());
        keys.first.extend(first.into_iter().skip(1));
        keys.first.resize(keys.names.len(), i32::MAX);
        keys
    }

    /// The key index of code `code` of segment `s`.
    pub fn of_code(&self, s: usize, code: u32) -> usize {
        self.offsets[s] + code as usize
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no keys (never: the totals are always there).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The keys of each segment column, as ranges of key indices.
    pub fn segments(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.offsets.windows(2).map(|w| w[0]..w[1])
    }
}

/// The segment_name and segment_value columns of rows, given each row's key.
pub fn key_columns(keys: &Keys, rows: impl Iterator<Item = usize>) -> (Vec<&str>, Vec<&str>) {
    rows.map(|k| (keys.names[k].as_str(), keys.values[k].as_str())).unzip()
}
