"""Write the benchmark's synthetic data files, deterministically, once.

Both contenders read the same Parquet file: Parquet loads fast, so the
benchmark measures analysis rather than CSV parsing, and a fixed seed makes
every run on every machine see the same rows. Files are only written when
missing, because the large one takes a while to generate.

Usage (from the repository root): python -m bench.generate [small medium large] [--force]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

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
}


def data_path(name: str) -> Path:
    """The file of one size; its name holds the parameters, so changing them never
    silently reuses a file generated with the old ones."""
    size = SIZES[name]
    return OUT / f"{name}-{size.customers}c-{size.products}p-m{MEAN_ITEMS:g}-s{SEED}.parquet"


def ensure_data(name: str, force: bool = False) -> Path:
    """Generate the file of size ``name`` unless it exists; return its path."""
    path = data_path(name)
    if path.exists() and not force:
        return path
    size = SIZES[name]
    frame = generate_sample(size.customers, size.products, mean_items=MEAN_ITEMS, seed=SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: an interrupted run must not leave a
    # truncated file that later runs would take as complete.
    partial = path.with_suffix(".partial")
    frame.to_parquet(partial, index=False)
    os.replace(partial, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the benchmark data files.")
    parser.add_argument("sizes", nargs="*", help=f"any of {', '.join(SIZES)} (default: all)")
    parser.add_argument("--force", action="store_true", help="regenerate existing files")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sizes if name not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}")
    for name in args.sizes or SIZES:
        print(ensure_data(name, args.force), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
