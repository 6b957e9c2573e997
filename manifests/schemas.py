"""Every noisekit table, defined once: pyarrow schemas with types and nullability, keys and allowed values."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
SPLITS = ("train", "valid", "test")


def _f(name: str, type_: pa.DataType, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable)


@dataclass(frozen=True)
class TableSpec:
    """A table: its schema, the columns that identify a row, and the allowed values of enum columns."""

    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    doc: str = ""


RECORDINGS = TableSpec(
    name="recordings",
    doc="One row per harvested file (harvest). Failed downloads are rows with status='failed'.",
    key=("identifier", "file"),
    enums={"status": ("ok", "failed")},
    schema=pa.schema(
        [
            _f("identifier", pa.string(), False),
            _f("file", pa.string(), False),
            _f("path", pa.string()),  # recordings/<identifier>/<file>, relative to the data directory
            _f("collection", pa.string()),
            _f("title", pa.string()),
            _f("creator", pa.string()),
            _f("year", pa.int32()),
            _f("label", pa.string()),  # the record label (metadata 'publisher')
            _f("format", pa.string()),
            _f("md5", pa.string()),
            _f("size_bytes", pa.int64()),
            _f("duration_s", pa.float64()),
            _f("sample_rate", pa.int32()),
            _f("channels", pa.int16()),
            _f("status", pa.string(), False),
            _f("error", pa.string()),
            _f("harvested_at", UTC_TIMESTAMP, False),
            _f("selection", pa.string()),  # the file choice that picked it, e.g. 'main/lossless' (rerun skips)
            # the item metadata's `licenseurl` and `rights` as stated ('' when it states none; null: not recorded)
            _f("license", pa.string()),
            _f("rights", pa.string()),
        ]
    ),
)

_NOISE_FIELDS = [
    _f("segment_id", pa.string(), False),  # stable: derived from the source's checksum and the cut
    _f("kind", pa.string(), False),
    _f("source", pa.string(), False),  # archive identifier, input path or capture name
    _f("source_path", pa.string(), False),  # the audio file it was cut from, as given
    _f("source_sha256", pa.string()),
    _f("start_s", pa.float64()),
    _f("end_s", pa.float64()),
    _f("path", pa.string()),  # the 5-s loop / segment, relative to the data directory
    _f("raw_path", pa.string()),  # the raw cut, relative to the data directory
    _f("duration_s", pa.float64()),
    _f("sample_rate", pa.int32()),
    _f("channels", pa.int16()),
    _f("p_noise", pa.float32()),
    _f("rms_dbfs", pa.float32()),
    _f("year", pa.int32()),
    _f("label", pa.string()),
    _f("split", pa.string()),
    _f("status", pa.string(), False),
    _f("error", pa.string()),
    # tape captures only (null for gramophone segments)
    _f("device", pa.string()),
    _f("speed_ips", pa.float32()),
    _f("tape_stock", pa.string()),
    _f("format", pa.string()),
    _f("noise_reduction", pa.string()),
    _f("chain", pa.string()),
    _f("contributor", pa.string()),
    _f("license", pa.string()),
    _f("created_at", UTC_TIMESTAMP),
]
# refused: a cut that is not surface noise (digital silence, near-silence, a fade, gating), reason in `error`
_NOISE_ENUMS = {"kind": ("gramophone", "tape"), "split": SPLITS, "status": ("ok", "failed", "refused")}

NOISE = TableSpec(
    name="noise",
    doc="Noise segments cut from discs (extract, kind='gramophone'); error rows have status='failed'.",
    key=("segment_id",),
    enums=_NOISE_ENUMS,
    schema=pa.schema(_NOISE_FIELDS),
)

TAPE = TableSpec(
    name="tape",
    doc="Blank-tape noise segments (ingest-tape, kind='tape'): the noise schema with device columns filled.",
    key=("segment_id",),
    enums=_NOISE_ENUMS,
    schema=pa.schema(_NOISE_FIELDS),
)

CLEAN = TableSpec(
    name="clean",
    doc="Clean music for training mixtures (`noisekit manifest clean`), split by group so a work never straddles.",
    key=("path",),
    enums={"split": SPLITS},
    schema=pa.schema(
        [
            _f("path", pa.string(), False),
            _f("group", pa.string(), False),
            _f("duration_s", pa.float64(), False),
            _f("sample_rate", pa.int32(), False),
            _f("channels", pa.int16(), False),
            _f("split", pa.string(), False),
        ]
    ),
)

LABELS = TableSpec(
    name="labels",
    doc="Hand labels of stretches of audio, for fine-tuning and evaluating the classifier.",
    key=("path", "start_s"),
    enums={"label": ("noise", "music")},
    schema=pa.schema(
        [
            _f("path", pa.string(), False),
            _f("start_s", pa.float64(), False),
            _f("end_s", pa.float64(), False),
            _f("label", pa.string(), False),
        ]
    ),
)

DEVICES = TableSpec(
    name="devices",
    doc="Tape decks added by users with --new-device (the shipped registry lives in noisekit/data).",
    key=("device_id",),
    enums={"format": ("open-reel", "cassette")},
    schema=pa.schema(
        [
            _f("device_id", pa.string(), False),
            _f("name", pa.string(), False),
            _f("aliases", pa.list_(pa.string())),
            _f("format", pa.string()),
            _f("notes", pa.string()),
            _f("added_at", UTC_TIMESTAMP),
        ]
    ),
)

MATERIAL = TableSpec(
    name="material",
    doc="Real programme from Debian packages (`noisekit material`): one row per decoded member, with its licence.",
    key=("path",),
    enums={"kind": ("music", "speech", "effects"), "split": SPLITS, "status": ("ok", "failed")},
    schema=pa.schema(
        [
            _f("path", pa.string(), False),  # material/<kind>/<package>/<track>/<track>.flac
            _f("package", pa.string(), False),
            _f("version", pa.string()),
            _f("member", pa.string(), False),  # the file's path inside the package
            _f("kind", pa.string(), False),
            _f("group", pa.string(), False),  # <package>/<track>: the unit a split never straddles
            _f("licence", pa.string()),  # as the package's copyright file states it
            _f("copyright", pa.string()),
            _f("duration_s", pa.float64()),
            _f("sample_rate", pa.int32()),
            _f("channels", pa.int16()),
            _f("gain_db", pa.float64()),  # applied at decoding (<= 0): lossy decoders can overshoot full scale
            _f("split", pa.string()),
            _f("status", pa.string(), False),
            _f("error", pa.string()),
        ]
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (RECORDINGS, NOISE, TAPE, CLEAN, LABELS, DEVICES, MATERIAL)}


def schema_for(table: str) -> TableSpec:
    """The spec of a table by name, or a ManifestError listing the known tables."""
    from noisekit.errors import ManifestError

    try:
        return TABLES[table]
    except KeyError:
        raise ManifestError(table, f"unknown table; known tables: {', '.join(TABLES)}") from None
