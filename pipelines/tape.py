"""Ingest blank-tape captures: validate, keep the original, cut 5-s segments at 44.1 kHz, write manifests/tape.parquet.

A capture is identified by the SHA-256 of its decoded samples (not of its file), so the same audio arriving as
WAV or as FLAC from a contribution bundle is one capture with the same segment ids, and is never ingested twice.
Splits are drawn per capture from that hash: whole captures go to train, valid or test, never pieces.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from noisekit.audio import SAMPLE_RATE, SEGMENT_S, load_audio, resample, write_audio
from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.fsutil import atomic_write, sha256_file
from noisekit.manifests import read_manifest, write_manifest
from noisekit.manifests.io import upsert
from noisekit.manifests.schemas import schema_for
from noisekit.pipelines.dataset_card import write_dataset_card
from noisekit.pipelines.devices import Device, add_device, check_speed_value, resolve_for_capture
from noisekit.pipelines.options import NOISE_REDUCTION, CaptureDetails
from noisekit.pipelines.splits import split_for
from noisekit.pipelines.tape_checks import CaptureCheck, ClassifierLike, check_decoded, check_readable
from noisekit.seeding import stable_hash
from noisekit.signal import rms_dbfs

TAPE_FORMATS = ("open-reel", "cassette")
_SPDX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*( (AND|OR|WITH) [A-Za-z0-9][A-Za-z0-9.+-]*)*$")


class CaptureRefused(NoisekitError):
    """One or more captures failed validation in an all-or-nothing ingest; names each capture and check."""

    def __init__(self, refused: list[tuple[str, str]]) -> None:
        self.refused = refused
        lines = "; ".join(f"{name}: {reason}" for name, reason in refused)
        super().__init__(f"{len(refused)} capture(s) refused, nothing ingested: {lines}")


@dataclass(frozen=True)
class CaptureMeta(CaptureDetails):
    """What the contributor tells us about a capture (one deck, one speed; the rest by keyword)."""

    device: str
    speed_ips: float


@dataclass(frozen=True)
class CaptureInput:
    """One capture file to ingest: its path, metadata, display name and the path as the user gave it."""

    path: Path
    meta: CaptureMeta
    source: str
    source_path: str


@dataclass
class TapeIngestResult:
    """What an ingest did: the tape table afterwards and the captures accepted, skipped and refused."""

    table: pa.Table
    accepted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    segments: int = 0

    def summary(self) -> str:
        """One line for the end of the command."""
        return (
            f"{len(self.accepted)} capture(s) accepted ({self.segments} segments, "
            f"{self.segments * SEGMENT_S / 60:.1f} min), {len(self.skipped)} already ingested, "
            f"{len(self.refused)} refused"
        )


def check_meta(meta: CaptureMeta) -> CaptureMeta:
    """Refuse metadata that cannot go into the dataset (speed, format, noise reduction, licence form)."""
    check_speed_value(meta.speed_ips)
    if meta.format is not None and meta.format not in TAPE_FORMATS:
        raise NoisekitError(f"format {meta.format!r}: expected one of {', '.join(TAPE_FORMATS)}")
    if meta.noise_reduction not in NOISE_REDUCTION:
        raise NoisekitError(f"noise reduction {meta.noise_reduction!r}: expected one of {', '.join(NOISE_REDUCTION)}")
    if meta.license is not None and not _SPDX.match(meta.license):
        raise NoisekitError(f"licence {meta.license!r}: expected an SPDX identifier such as CC-BY-4.0 or CC0-1.0")
    return meta


def content_sha256(audio: np.ndarray, sr: int) -> str:
    """SHA-256 of decoded samples (rate, channels, float32 frames): equal for the same audio in any container."""
    hasher = hashlib.sha256(f"{int(sr)}:{audio.shape[0]}:".encode())
    step = 1 << 20  # frames per update: the interleaved copy stays small
    for start in range(0, audio.shape[1], step):
        hasher.update(np.ascontiguousarray(audio[:, start : start + step].T, dtype="<f4").data)
    return hasher.hexdigest()


def _ok_hashes(table: pa.Table) -> set[str]:
    ok = table.filter(pc.equal(table.column("status"), "ok"))
    return {h for h in ok.column("source_sha256").to_pylist() if h}


def _refused_row(item: CaptureInput, reason: str, capture_hash: str | None, now: datetime) -> dict:
    key = capture_hash or (sha256_file(item.path) if item.path.is_file() else f"{stable_hash(item.source_path):x}")
    return {
        "segment_id": f"tape-refused-{key[:16]}",
        "kind": "tape",
        "source": item.source,
        "source_path": item.source_path,
        "source_sha256": capture_hash,
        "status": "failed",
        "error": reason,
        **_meta_columns(item.meta, None),
        "created_at": now,
    }


def _meta_columns(meta: CaptureMeta, device: Device | None) -> dict:
    return {
        "device": device.name if device else meta.device,
        "speed_ips": float(meta.speed_ips),
        "tape_stock": meta.tape_stock,
        "format": meta.format or (device.format if device else None),
        "noise_reduction": meta.noise_reduction,
        "chain": meta.chain,
        "contributor": meta.contributor,
        "license": meta.license,
    }


def _segment_rows(
    datadir: DataDir,
    item: CaptureInput,
    check: CaptureCheck,
    capture_hash: str,
    device: Device,
    now: datetime,
    written: list[Path],
) -> list[dict]:
    """Keep the original, write the 44.1-kHz 5-s segments, and return their manifest rows."""
    capture_id = f"tape-{capture_hash[:16]}"
    original = datadir.noise_tape / "originals" / f"{capture_id}{item.path.suffix.lower()}"
    with open(item.path, "rb") as src, atomic_write(original) as dst:
        shutil.copyfileobj(src, dst)
    written.append(original)
    native, sr = load_audio(item.path)  # decoded again: validation keeps no audio, so memory holds one capture
    if content_sha256(native, sr) != capture_hash:
        raise NoisekitError(f"{item.source_path}: the file changed while it was being ingested")
    audio = resample(native, sr, SAMPLE_RATE)
    del native
    seg_len = int(round(SEGMENT_S * SAMPLE_RATE))
    wp = check.window_probs
    if wp is None:  # only a capture that was never decoded lacks them, and such a capture is never accepted
        raise RuntimeError(f"{item.source_path}: accepted without the classifier's window probabilities")
    probs, starts = np.asarray(wp.probs), np.asarray(wp.starts)
    rows = []
    for k in range(audio.shape[1] // seg_len):
        segment = audio[:, k * seg_len : (k + 1) * seg_len]
        path = write_audio(datadir.noise_tape / f"{capture_id}-{k:03d}.flac", np.clip(segment, -1.0, 1.0), SAMPLE_RATE)
        written.append(path)
        t0, t1 = k * SEGMENT_S, (k + 1) * SEGMENT_S
        inside = (starts >= t0 - 1e-6) & (starts + wp.window_s <= t1 + 1e-6)
        rows.append(
            {
                "segment_id": f"{capture_id}-{k:03d}",
                "kind": "tape",
                "source": item.source,
                "source_path": item.source_path,
                "source_sha256": capture_hash,
                "start_s": t0,
                "end_s": t1,
                "path": datadir.relative(path),
                "raw_path": datadir.relative(original),
                "duration_s": SEGMENT_S,
                "sample_rate": SAMPLE_RATE,
                "channels": audio.shape[0],
                "p_noise": float(probs[inside].min()) if inside.any() else None,
                "rms_dbfs": rms_dbfs(segment),
                "split": split_for(f"tape:{capture_hash}"),
                "status": "ok",
                "error": None,
                **_meta_columns(item.meta, device),
                "created_at": now,
            }
        )
    return rows


def _resolve_devices(datadir: DataDir, items: list[CaptureInput], new_device: bool) -> dict[tuple, Device]:
    """Each distinct (device, speed, format) resolved once, before any audio is read; DeviceError otherwise."""
    devices: dict[tuple, Device] = {}
    for item in items:
        check_meta(item.meta)
        key = (item.meta.device, float(item.meta.speed_ips), item.meta.format)
        if key not in devices:
            devices[key] = resolve_for_capture(key[0], datadir, key[1], key[2], new_device=new_device)
    return devices


def validate_captures(
    items: list[CaptureInput],
    classifier: ClassifierLike,
    known: set[str],
    progress: bool = True,
) -> tuple[list[tuple[CaptureInput, CaptureCheck, str]], list[str], list[tuple]]:
    """Decode, hash and check each capture: (accepted with checks and hash, skipped duplicates, refused).

    The decoded audio is dropped after each capture's checks, so memory holds one capture at a time.
    """
    accepted, skipped = [], []
    refused: list[tuple[CaptureInput, str, str | None]] = []  # the hash is None when the file was unreadable
    seen = set(known)
    for item in tqdm(items, desc="validating captures", unit="capture", disable=not progress):
        readable, audio, sr = check_readable(item.path)
        if audio is None:
            refused.append((item, f"readable: {readable.detail}", None))
            continue
        capture_hash = content_sha256(audio, sr)
        if capture_hash in seen:
            skipped.append(item.source)
            continue
        check = check_decoded(item.path, readable, audio, sr, classifier)
        check.audio = audio = None
        seen.add(capture_hash)  # the same audio again in this run is a duplicate, whatever the verdict
        if check.ok:
            accepted.append((item, check, capture_hash))
        else:
            refused.append((item, check.failure_text(), capture_hash))
    return accepted, skipped, refused


def ingest_captures(
    datadir: DataDir,
    items: list[CaptureInput],
    classifier: ClassifierLike | None = None,
    new_device: bool = False,
    all_or_nothing: bool = False,
    progress: bool = True,
) -> TapeIngestResult:
    """Validate and ingest captures into noise/tape/ and manifests/tape.parquet; then regenerate DATASET.md.

    Captures already in the table (same decoded audio) are skipped. A refused capture becomes a row with
    status='failed' and the others go on; with all_or_nothing one refusal raises CaptureRefused and nothing
    is written.
    """
    datadir.ensure()
    devices = _resolve_devices(datadir, items, new_device)
    if classifier is None:
        from noisekit.classifier import load_classifier

        classifier = load_classifier()
    table = read_manifest(datadir, "tape")
    accepted, skipped, refused = validate_captures(items, classifier, _ok_hashes(table), progress)
    if refused and all_or_nothing:
        raise CaptureRefused([(item.source, reason) for item, reason, _ in refused])
    now = datetime.now(UTC)
    rows: list[dict] = []
    written: list[Path] = []
    try:
        for item, check, capture_hash in accepted:
            device = devices[(item.meta.device, float(item.meta.speed_ips), item.meta.format)]
            rows += _segment_rows(datadir, item, check, capture_hash, device, now, written)
        if new_device and accepted:
            for device in {d.device_id: d for d in devices.values()}.values():
                add_device(datadir, device.name, device.format, device.aliases, device.notes)
        failed = {r["segment_id"]: r for r in (_refused_row(item, reason, h, now) for item, reason, h in refused)}
        rows += list(failed.values())  # one row per refused capture, even if the same file came twice
        new = pa.Table.from_pylist(rows, schema=schema_for("tape").schema) if rows else None
        if new is not None:
            done = {h for _, _, h in accepted}
            stale = pc.and_(
                pc.equal(table.column("status"), "failed"),
                pc.is_in(table.column("source_sha256"), pa.array(sorted(done), pa.string())),
            )
            table = write_manifest(
                datadir, "tape", upsert(table.filter(pc.invert(pc.fill_null(stale, False))), new, schema_for("tape"))
            )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    write_dataset_card(datadir)
    return TapeIngestResult(
        table,
        [item.source for item, _, _ in accepted],
        skipped,
        [(item.source, reason) for item, reason, _ in refused],
        len(rows) - len(failed),
    )


def ingest_files(datadir: DataDir, files: list[str | Path], meta: CaptureMeta, **kwargs) -> TapeIngestResult:
    """Ingest capture files given on the command line, all with the same metadata (see ingest_captures)."""
    items = [CaptureInput(Path(f), meta, Path(f).stem, str(f)) for f in files]
    return ingest_captures(datadir, items, **kwargs)
