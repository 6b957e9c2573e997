"""The one place that defines every noisekit table (schemas.py) and how tables are read and written (io.py)."""

from noisekit.manifests.io import (
    consolidate_parts,
    merge_manifest,
    part_names,
    parts_dir,
    read_manifest,
    to_table,
    write_manifest,
    write_part,
)
from noisekit.manifests.schemas import SPLITS, TABLES, TableSpec, schema_for

__all__ = [
    "SPLITS",
    "TABLES",
    "TableSpec",
    "schema_for",
    "read_manifest",
    "write_manifest",
    "merge_manifest",
    "to_table",
    "write_part",
    "part_names",
    "parts_dir",
    "consolidate_parts",
]
