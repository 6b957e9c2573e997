"""Contribution bundles: a zip of FLAC captures, contribution.json (versioned schema), SHA256SUMS and README.txt.

`build_bundle` runs the same validation as ingest-tape and refuses to build a bundle that would fail ingestion.
The captures are stored losslessly (FLAC at the source's rate and bit depth), so a bundle ingests to exactly
the rows a direct ingest of the original files gives. Reading bundles safely is pipelines/bundle_ingest.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from noisekit.audio import audio_info, write_audio
from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.fsutil import atomic_write, sha256_file
from noisekit.pipelines.devices import resolve_for_capture
from noisekit.pipelines.tape import CaptureMeta, CaptureRefused, check_meta, content_sha256
from noisekit.pipelines.tape_checks import ClassifierLike, check_decoded, check_readable

SCHEMA = "noisekit-tape-contribution"
SCHEMA_VERSION = 1
CONTRIBUTION_JSON = "contribution.json"
CHECKSUMS = "SHA256SUMS"
SUMMARY = "README.txt"
CAPTURE_DIR = "captures"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same contribution gives the same bytes
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PCM16 = {"PCM_S8", "PCM_U8", "PCM_16"}


class BundleError(NoisekitError):
    """A contribution bundle that cannot be built or ingested, naming the bundle (and member) and the reason."""

    def __init__(self, bundle: str | Path, reason: str) -> None:
        self.bundle = str(bundle)
        self.reason = reason
        super().__init__(f"{self.bundle}: {reason}")


@dataclass
class Contribution:
    """contribution.json: who contributed which captures of which deck, under which licence."""

    contributor: str
    license: str
    device: str
    speeds_ips: list[float]
    captures: list[dict]  # file, source, speed_ips, sha256, content_sha256, duration_s, sample_rate, ...
    format: str | None = None
    noise_reduction: str = "none"
    tape_stock: str | None = None
    chain: str | None = None
    date: str = ""
    notes: str | None = None
    new_device: bool = False
    schema: str = SCHEMA
    schema_version: int = SCHEMA_VERSION
    generator: dict = field(default_factory=lambda: {"name": "noisekit"})

    def meta_for(self, speed_ips: float) -> CaptureMeta:
        """The ingest metadata of one capture at `speed_ips`."""
        return CaptureMeta(
            self.device,
            speed_ips,
            tape_stock=self.tape_stock,
            format=self.format,
            noise_reduction=self.noise_reduction,
            chain=self.chain,
            contributor=self.contributor,
            license=self.license,
        )

    def to_json(self) -> str:
        """Stable, human-readable JSON text."""
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_TEXT = (str,)
_OPT_TEXT = (str, type(None))
_FIELDS: dict[str, tuple] = {
    "schema": _TEXT,
    "schema_version": (int,),
    "contributor": _TEXT,
    "license": _TEXT,
    "device": _TEXT,
    "speeds_ips": (list,),
    "captures": (list,),
    "format": _OPT_TEXT,
    "noise_reduction": _TEXT,
    "tape_stock": _OPT_TEXT,
    "chain": _OPT_TEXT,
    "date": _TEXT,
    "notes": _OPT_TEXT,
    "new_device": (bool,),
    "generator": (dict,),
}
_CAPTURE_FIELDS: dict[str, tuple] = {
    "file": _TEXT,
    "source": _TEXT,
    "speed_ips": (int, float),
    "sha256": _TEXT,
    "content_sha256": _TEXT,
    "duration_s": (int, float),
    "sample_rate": (int,),
    "channels": (int,),
    "checks": (list,),
}


def parse_contribution(text: str, where: str | Path) -> Contribution:
    """contribution.json text as a Contribution, refusing unknown versions, missing or mistyped fields."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleError(where, f"{CONTRIBUTION_JSON} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise BundleError(where, f"{CONTRIBUTION_JSON}: not a {SCHEMA} document")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise BundleError(
            where,
            f"{CONTRIBUTION_JSON}: schema_version {doc.get('schema_version')!r} is not "
            f"supported (this noisekit reads version {SCHEMA_VERSION})",
        )
    _check_fields(doc, _FIELDS, where, CONTRIBUTION_JSON)
    if not doc["captures"]:
        raise BundleError(where, f"{CONTRIBUTION_JSON}: no captures listed")
    for i, cap in enumerate(doc["captures"]):
        if not isinstance(cap, dict):
            raise BundleError(where, f"{CONTRIBUTION_JSON}: captures[{i}] is not an object")
        _check_fields(cap, _CAPTURE_FIELDS, where, f"{CONTRIBUTION_JSON} captures[{i}]")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in doc["speeds_ips"]):
        raise BundleError(where, f"{CONTRIBUTION_JSON}: speeds_ips must be a list of numbers")
    if not _DATE.match(doc["date"]):
        raise BundleError(where, f"{CONTRIBUTION_JSON}: date {doc['date']!r} is not YYYY-MM-DD")
    return Contribution(**doc)


def _check_fields(doc: dict, spec: dict[str, tuple], where: str | Path, what: str) -> None:
    unknown = sorted(set(doc) - set(spec))
    if unknown:
        raise BundleError(where, f"{what}: unknown field(s) {unknown}")
    for name, types in spec.items():
        if name not in doc and type(None) in types:
            continue
        if name not in doc:
            raise BundleError(where, f"{what}: required field {name!r} is missing")
        value = doc[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise BundleError(
                where,
                f"{what}: field {name!r} has type {type(value).__name__}, expected "
                f"{' or '.join(t.__name__ for t in types)}",
            )


def _member_name(index: int, path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._")[:80] or "capture"
    return f"{CAPTURE_DIR}/{index:02d}-{stem}.flac"


def _pair_speeds(files: list[Path], speeds: list[float]) -> list[float]:
    if len(speeds) == 1:
        return [float(speeds[0])] * len(files)
    if len(speeds) != len(files):
        raise NoisekitError(
            f"give one --speed for all files or one per file: {len(speeds)} speeds for {len(files)} files"
        )
    return [float(s) for s in speeds]


def summary_text(contribution: Contribution) -> str:
    """README.txt: a short human-readable account of the bundle."""
    minutes = sum(c["duration_s"] for c in contribution.captures) / 60
    lines = [
        f"Blank-tape noise contribution for noisekit ({SCHEMA} v{SCHEMA_VERSION})",
        "",
        f"Contributor:  {contribution.contributor}",
        f"Licence:      {contribution.license}",
        f"Device:       {contribution.device}" + (" (new to the registry)" if contribution.new_device else ""),
        f"Format:       {contribution.format or '-'}",
        "Speeds (ips): " + ", ".join(f"{s:g}" for s in contribution.speeds_ips),
        f"Tape stock:   {contribution.tape_stock or '-'}",
        f"Noise reduction: {contribution.noise_reduction}",
        f"Capture chain: {contribution.chain or '-'}",
        f"Date:         {contribution.date}",
        f"Notes:        {contribution.notes or '-'}",
        "",
        f"{len(contribution.captures)} capture(s), {minutes:.1f} minutes, all passed validation:",
    ]
    for cap in contribution.captures:
        lines.append(
            f"  {cap['file']}  {cap['speed_ips']:g} ips  {cap['duration_s']:.1f} s  "
            f"{cap['sample_rate']} Hz  {cap['channels']} ch"
        )
    lines += [
        "",
        f"Check integrity with: sha256sum -c {CHECKSUMS}",
        "Ingest with: noisekit ingest-tape --data DIR --bundle THIS.zip",
        "",
    ]
    return "\n".join(lines)


def build_bundle(
    out: str | Path,
    files: Sequence[str | Path],
    meta: CaptureMeta,
    speeds: list[float] | None = None,
    classifier: ClassifierLike | None = None,
    date: str | None = None,
    notes: str | None = None,
    new_device: bool = False,
    datadir: DataDir | None = None,
    progress: bool = True,
) -> Contribution:
    """Validate captures and package them as a bundle at `out` (atomically); CaptureRefused if any fails."""
    paths = [Path(f) for f in files]
    if not paths:
        raise NoisekitError("contribute: give at least one capture file")
    if not meta.contributor or not meta.license:
        raise NoisekitError("contribute: --contributor and --license are required for a contribution")
    per_file = _pair_speeds(paths, list(speeds) if speeds else [meta.speed_ips])
    devices = {s: resolve_for_capture(meta.device, datadir, s, meta.format, new_device) for s in set(per_file)}
    for s in per_file:
        check_meta(replace(meta, speed_ips=s))
    device = next(iter(devices.values()))
    date = date or dt.datetime.now(dt.UTC).date().isoformat()
    if classifier is None:
        from noisekit.classifier import load_classifier

        classifier = load_classifier()
    captures, refused = [], []
    seen: dict[str, str] = {}  # content digest -> the capture that had it first
    with tempfile.TemporaryDirectory(prefix="noisekit-bundle-") as tmp:
        pairs = list(enumerate(zip(paths, per_file, strict=True)))
        for index, (path, speed) in tqdm(pairs, desc="validating captures", unit="capture", disable=not progress):
            readable, audio, sr = check_readable(path)
            if audio is None:
                refused.append((str(path), f"readable: {readable.detail}"))
                continue
            member = _member_name(index, path)
            flac = Path(tmp) / member
            subtype = "PCM_16" if audio_info(path).subtype in _PCM16 else "PCM_24"
            write_audio(flac, audio.clip(-1.0, 1.0), sr, subtype=subtype)
            audio = None  # one decoded capture in memory at a time
            _, stored, stored_sr = check_readable(flac)
            if stored is None:
                raise BundleError(out, f"could not read back the FLAC written for {path}")
            check = check_decoded(path, readable, stored, stored_sr, classifier)
            if not check.ok:
                refused.append((str(path), check.failure_text()))
                continue
            digest = content_sha256(stored, stored_sr)
            if digest in seen:
                refused.append((str(path), f"the same audio as {seen[digest]}"))
                continue
            seen[digest] = str(path)
            captures.append(
                {
                    "file": member,
                    "source": path.stem,
                    "speed_ips": speed,
                    "sha256": sha256_file(flac),
                    "content_sha256": digest,
                    "duration_s": round(stored.shape[1] / stored_sr, 3),
                    "sample_rate": stored_sr,
                    "channels": int(stored.shape[0]),
                    "checks": [r.to_dict() for r in check.results],
                }
            )
        if refused:
            raise CaptureRefused(refused)
        contribution = Contribution(
            contributor=meta.contributor,
            license=meta.license,
            device=device.name,
            speeds_ips=sorted(set(per_file)),
            captures=captures,
            format=meta.format or device.format,
            noise_reduction=meta.noise_reduction,
            tape_stock=meta.tape_stock,
            chain=meta.chain,
            date=date,
            notes=notes,
            new_device=new_device,
        )
        _write_zip(Path(out), Path(tmp), contribution)
    return contribution


def _write_zip(out: Path, tmp: Path, contribution: Contribution) -> None:
    texts = {CONTRIBUTION_JSON: contribution.to_json(), SUMMARY: summary_text(contribution)}
    for name, text in texts.items():
        (tmp / name).write_text(text, encoding="utf-8")
    members = sorted(texts) + [c["file"] for c in contribution.captures]
    sums = "".join(f"{sha256_file(tmp / m)}  {m}\n" for m in members)
    (tmp / CHECKSUMS).write_text(sums, encoding="utf-8")
    with atomic_write(out) as handle, zipfile.ZipFile(handle, "w") as zf:
        for name in [CHECKSUMS, *members]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".flac") else zipfile.ZIP_DEFLATED
            big = (tmp / name).stat().st_size >= 1 << 31
            with open(tmp / name, "rb") as src, zf.open(info, "w", force_zip64=big) as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
