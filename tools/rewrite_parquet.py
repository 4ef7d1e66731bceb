#!/usr/bin/env python3
"""Rewrites every Parquet file under a folder with another writer than DuckDB's: pyarrow, set up as
Firehose's Parquet writer (parquet-mr) writes by default (format 1.0 pages, dictionary encoding,
Snappy, one row group), so the readers meet an encoding they did not write.

  python3 tools/rewrite_parquet.py <folder>     (make test installs pyarrow in the tools' venv)
"""

import sys
from pathlib import Path

import pyarrow.parquet as pq


def main():
    folder = Path(sys.argv[1])
    files = sorted(folder.rglob("*.parquet"))
    if not files:
        print(f"rewrite_parquet: no Parquet file under {folder}", file=sys.stderr)
        return 1
    for path in files:
        table = pq.read_table(path)
        pq.write_table(
            table,
            path,
            version="1.0",
            data_page_version="1.0",
            use_dictionary=True,
            compression="snappy",
            write_statistics=True,
            row_group_size=max(table.num_rows, 1),
        )
        written = pq.ParquetFile(path).metadata
        if not written.created_by.startswith("parquet-cpp-arrow"):
            print(f"rewrite_parquet: {path} was written by {written.created_by}", file=sys.stderr)
            return 1
    print(f"rewrite_parquet: {len(files)} files rewritten by pyarrow")
    return 0


if __name__ == "__main__":
    sys.exit(main())
