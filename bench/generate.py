"""Write the benchmark's synthetic data files, deterministically, once.

Both contenders read the same file, Parquet or CSV: Parquet measures analysis
rather than parsing, CSV is what users upload. A fixed seed makes every run on
every machine see the same rows. Files are only written when missing, because
the large ones take a while to generate ("huge", 20 M purchase rows, is only
for the growth curve of ``bench/growth.py``).

Usage (from the repository root):
python -m bench.generate [small medium large huge] [--csv] [--force]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from basket_segments.analytics.sample import generate_sample

OUT = Path(__file__).resolve().parent / "out"
#: Draws per customer; with bundles and duplicates removed this gives ~10 rows per customer.
MEAN_ITEMS = 8.0
SEED = 7


@dataclass(frozen=True)
class Size:
    """How many customers and products a data size has."""

    customers: int
    products: int


SIZES = {
    "small": Size(5_000, 200),
    "medium": Size(50_000, 1_000),
    "large": Size(500_000, 5_000),
    "huge": Size(2_000_000, 5_000),
}
FORMATS = ("parquet", "csv")


def data_path(name: str, kind: str = "parquet") -> Path:
    """The file of one size; its name holds the parameters, so changing them never
    silently reuses a file generated with the old ones."""
    size = SIZES[name]
    return OUT / f"{name}-{size.customers}c-{size.products}p-m{MEAN_ITEMS:g}-s{SEED}.{kind}"


def ensure_data(name: str, force: bool = False, kind: str = "parquet") -> Path:
    """Generate the file of size ``name`` unless it exists; return its path.

    The CSV is written from the Parquet file, so both hold the same rows.
    """
    path = data_path(name, kind)
    if path.exists() and not force:
        return path
    if kind == "csv":
        frame = pd.read_parquet(ensure_data(name, force))
    else:
        size = SIZES[name]
        frame = generate_sample(
            size.customers, size.products, mean_items=MEAN_ITEMS, seed=SEED, dated=False
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: an interrupted run must not leave a
    # truncated file that later runs would take as complete.
    partial = path.with_suffix(".partial")
    if kind == "csv":
        frame.to_csv(partial, index=False)
    else:
        frame.to_parquet(partial, index=False)
    os.replace(partial, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the benchmark data files.")
    parser.add_argument("sizes", nargs="*", help=f"any of {', '.join(SIZES)} (default: all)")
    parser.add_argument("--force", action="store_true", help="regenerate existing files")
    parser.add_argument("--csv", action="store_true", help="write CSV (as users upload)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sizes if name not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    for name in args.sizes or SIZES:
        print(ensure_data(name, args.force, "csv" if args.csv else "parquet"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
