#!/bin/bash
# Two nrr binaries in turn on one dataset (a noisy neighbour hurts both alike):
#   bench/ab.sh DATASET_DIR RUNS OLD_BIN NEW_BIN
# prints wall time and peak RSS of each run; outputs go to /tmp/bout_<bin name>,
# so `diff -r` of the two shows whether the tables are byte-identical.
data=$1; runs=${2:-3}; a=$3; b=$4
for i in $(seq 1 "$runs"); do
  for bin in "$a" "$b"; do
    name=$(basename "$bin")
    rm -rf "/tmp/bout_$name"
    /usr/bin/time -f "$name %e s %M KB" env POLARS_MAX_THREADS=2 RAYON_NUM_THREADS=2 "$bin" --quiet run \
      --input "$data/snapshots" --fx-rates "$data/fx_rates.parquet" --segment-by plan,region \
      --output "/tmp/bout_$name" 2>&1 | tail -1
  done
done
