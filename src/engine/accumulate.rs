//! Dense sums behind every aggregate table.
//!
//! Each aggregate table is a fixed set of additive `i64` columns summed per
//! (cell, key): a cell is a month (bridge), a window and month (windows) or a
//! cohort and month (cohorts); a key is the totals or one segment value
//! ([`super::keys::Keys`]). [`Sums`] adds with checked arithmetic, so money
//! that does not fit 64-bit cents is an error naming the table and month,
//! never a wrapped number; [`Sums::emit`] reads chosen cells out as columns.

use polars::prelude::Column;

/// A sum that left the 64-bit range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    /// The cell whose sum overflowed.
    pub cell: usize,
}

/// `N` additive columns summed per (cell, key).
#[derive(Debug, Clone)]
pub struct Sums<const N: usize> {
    keys: usize,
    values: Vec<[i64; N]>,
}

impl<const N: usize> Sums<N> {
    /// Zeroed sums for `cells` × `keys`.
    pub fn new(cells: usize, keys: usize) -> Self {
        Sums {
            keys,
            values: vec![[0; N]; cells * keys],
        }
    }

    /// Adds `add` to the sums of `cell` under each of `keys`.
    pub fn add(&mut self, cell: usize, keys: &[usize], add: &[i64; N]) -> Result<(), Overflow> {
        for k in keys {
            let sums = &mut self.values[cell * self.keys + k];
            for (sum, v) in sums.iter_mut().zip(add) {
                *sum = sum.checked_add(*v).ok_or(Overflow { cell })?;
            }
        }
        Ok(())
    }

    /// The sums of (`cell`, `key`).
    pub fn get(&self, cell: usize, key: usize) -> &[i64; N] {
        &self.values[cell * self.keys + key]
    }

    /// The sums of the given (cell, key) pairs, column by column.
    pub fn emit(&self, rows: &[(usize, usize)]) -> [Vec<i64>; N] {
        let mut columns: [Vec<i64>; N] = std::array::from_fn(|_| Vec::with_capacity(rows.len()));
        for &(cell, key) in rows {
            for (column, v) in columns.iter_mut().zip(self.get(cell, key)) {
                column.push(*v);
            }
        }
        columns
    }
}

/// Named `i64` columns from emitted sums.
pub fn columns<const N: usize>(names: &[&str; N], values: [Vec<i64>; N]) -> Vec<Column> {
    names
        .iter()
        .zip(values)
        .map(|(name, v)| Column::new((*name).into(), v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_under_every_key_and_emits_the_cells_asked_for() {
        let mut sums = Sums::<2>::new(2, 3);
        sums.add(0, &[0, 2], &[1, 10]).unwrap();
        sums.add(1, &[0, 1], &[1, 5]).unwrap();
        sums.add(1, &[0], &[1, 7]).unwrap();
        assert_eq!(sums.get(1, 0), &[2, 12]);
        let [counts, money] = sums.emit(&[(0, 2), (1, 0), (1, 2)]);
        assert_eq!(counts, [1, 2, 0]);
        assert_eq!(money, [10, 12, 0]);
    }

    #[test]
    fn a_sum_beyond_64_bits_is_an_error_not_a_wrapped_number() {
        let mut sums = Sums::<1>::new(3, 1);
        sums.add(2, &[0], &[i64::MAX]).unwrap();
        assert_eq!(sums.add(2, &[0], &[1]), Err(Overflow { cell: 2 }));
    }
}
