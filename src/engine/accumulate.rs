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

/// [`Sums`] whose keys grow as they are met: the month-at-a-time engine
/// meets segment values month by month and learns their final order only at
/// the end. Key-major, so a new key appends a block of cells.
#[derive(Debug, Clone)]
pub struct Growing<const N: usize> {
    cells: usize,
    values: Vec<[i64; N]>,
}

impl<const N: usize> Growing<N> {
    /// Zeroed sums over `cells` cells and no keys yet.
    pub fn new(cells: usize) -> Self {
        Growing {
            cells,
            values: Vec::new(),
        }
    }

    /// Adds `add` to the sums of `cell` under each of `keys`.
    pub fn add(&mut self, cell: usize, keys: &[usize], add: &[i64; N]) -> Result<(), Overflow> {
        for k in keys {
            let at = k * self.cells + cell;
            if at >= self.values.len() {
                self.values.resize((k + 1) * self.cells, [0; N]);
            }
            let sums = &mut self.values[at];
            for (sum, v) in sums.iter_mut().zip(add) {
                *sum = sum.checked_add(*v).ok_or(Overflow { cell })?;
            }
        }
        Ok(())
    }

    /// The sums with key `k` renumbered `order[k]`, over `keys` keys.
    pub fn into_sums(self, order: &[usize], keys: usize) -> Sums<N> {
        let mut out = Sums::new(self.cells, keys);
        for (i, v) in self.values.into_iter().enumerate() {
            let (k, cell) = (i / self.cells.max(1), i % self.cells.max(1));
            if let Some(k) = order.get(k) {
                out.values[cell * keys + k] = v;
            }
        }
        out
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
    fn growing_keys_are_renumbered_into_dense_sums() {
        let mut g = Growing::<1>::new(2);
        g.add(1, &[0, 2], &[5]).unwrap();
        g.add(0, &[1], &[7]).unwrap();
        // Keys met as 0, 2, 1 land as 0, 1, 2.
        let sums = g.into_sums(&[0, 2, 1], 3);
        assert_eq!((sums.get(1, 0), sums.get(1, 1), sums.get(0, 2)), (&[5], &[5], &[7]));
        assert_eq!(sums.get(0, 0), &[0]);
    }

    #[test]
    fn a_sum_beyond_64_bits_is_an_error_not_a_wrapped_number() {
        let mut sums = Sums::<1>::new(3, 1);
        sums.add(2, &[0], &[i64::MAX]).unwrap();
        assert_eq!(sums.add(2, &[0], &[1]), Err(Overflow { cell: 2 }));
    }
}
