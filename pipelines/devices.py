"""The tape-deck registry: the shipped decks (noisekit/data/devices.csv) plus user additions (table `devices`).

Names are normalised (case, accents, spaces and punctuation ignored) so "revox a-77" and "Revox A77" are one
name. An alias shared by several decks (e.g. "Revox A77" for the NS and HS models) is a family name: it is
resolved by the tape speed when only one member plays at that speed, and refused as ambiguous otherwise.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.manifests import merge_manifest, read_manifest

FORMATS = ("open-reel", "cassette")
SHIPPED_CSV = "devices.csv"
MAX_SPEED_IPS = 30.0
_SPEED_TOLERANCE = 1e-3


class DeviceError(NoisekitError):
    """A deck name that is unknown, ambiguous, already registered, or a speed the deck cannot play."""


@dataclass(frozen=True)
class Device:
    """One tape deck: a stable id, its display name, the other names it is known by, format and speeds."""

    device_id: str
    name: str
    aliases: tuple[str, ...] = ()
    format: str | None = None
    speeds_ips: tuple[float, ...] = ()  # empty: not known, any speed accepted
    notes: str | None = None
    shipped: bool = False

    def name_keys(self) -> set[str]:
        """Every normalised name this deck answers to."""
        return {normalise_name(n) for n in (self.name, self.device_id, *self.aliases)} - {""}


def normalise_name(name: str) -> str:
    """Case-, accent-, space- and punctuation-free form of a deck name: 'Revox A-77' -> 'revoxa77'."""
    decomposed = unicodedata.normalize("NFKD", str(name))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "", plain)


def device_id_for(name: str) -> str:
    """A readable, stable id for a new deck: lower-case words joined by '-' ('Studer A807' -> 'studer-a807')."""
    decomposed = unicodedata.normalize("NFKD", str(name))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    if not slug:
        raise DeviceError(f"device name {name!r}: needs at least one letter or digit")
    return slug[:80]


def check_speed_value(speed_ips: float) -> float:
    """A tape speed in inches per second, refused unless positive and at most 30 ips."""
    try:
        speed = float(speed_ips)
    except (TypeError, ValueError):
        raise DeviceError(f"tape speed {speed_ips!r}: not a number of inches per second") from None
    if not 0.0 < speed <= MAX_SPEED_IPS:
        raise DeviceError(f"tape speed {speed_ips!r} ips: must be above 0 and at most {MAX_SPEED_IPS:g}")
    return speed


def plays_at(device: Device, speed_ips: float) -> bool:
    """True when the deck is known to play at this speed (or its speeds are not recorded)."""
    return not device.speeds_ips or any(abs(s - speed_ips) < _SPEED_TOLERANCE for s in device.speeds_ips)


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split("|") if part.strip()]


def shipped_devices() -> list[Device]:
    """The decks that ship with noisekit, the seed paper's six first."""
    text = resources.files("noisekit.data").joinpath(SHIPPED_CSV).read_text(encoding="utf-8")
    devices = []
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            speeds = tuple(float(s) for s in _split(row["speeds_ips"]))
        except ValueError:
            raise DeviceError(f"{SHIPPED_CSV} line {line}: bad speeds_ips {row['speeds_ips']!r}") from None
        devices.append(
            Device(
                row["device_id"],
                row["name"],
                tuple(_split(row["aliases"])),
                row["format"] or None,
                speeds,
                row["notes"] or None,
                shipped=True,
            )
        )
    return devices


def user_devices(datadir: DataDir) -> list[Device]:
    """Decks added to this data directory with --new-device (manifests/devices.parquet)."""
    table = read_manifest(datadir, "devices")
    return [
        Device(r["device_id"], r["name"], tuple(r["aliases"] or ()), r["format"], (), r["notes"])
        for r in table.to_pylist()
    ]


def load_registry(datadir: DataDir | None = None) -> list[Device]:
    """Shipped decks followed by this data directory's additions."""
    return shipped_devices() + (user_devices(datadir) if datadir is not None else [])


def _candidates(name: str, registry: list[Device]) -> list[Device]:
    key = normalise_name(name)
    return [d for d in registry if key and key in d.name_keys()]


def resolve_device(
    name: str, datadir: DataDir | None = None, speed_ips: float | None = None, registry: list[Device] | None = None
) -> Device:
    """The registered deck called `name`; a family name is narrowed by `speed_ips`; else a DeviceError."""
    registry = registry if registry is not None else load_registry(datadir)
    found = _candidates(name, registry)
    if len(found) > 1 and speed_ips is not None:
        found = [d for d in found if plays_at(d, speed_ips)] or found
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(d.name for d in found)
        at = f" at {speed_ips:g} ips" if speed_ips is not None else ""
        raise DeviceError(f"device {name!r} is ambiguous{at}: it could be {names}; give the full name")
    every = {normalise_name(n): d.name for d in registry for n in (d.name, *d.aliases)}
    close = difflib.get_close_matches(normalise_name(name), list(every), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(dict.fromkeys(every[c] for c in close))}?" if close else ""
    raise DeviceError(f"device {name!r} is not in the registry{hint} (use --new-device to add a new deck)")


def add_device(
    datadir: DataDir | None,
    name: str,
    fmt: str | None = None,
    aliases: tuple[str, ...] = (),
    notes: str | None = None,
    dry_run: bool = False,
) -> Device:
    """Register a new deck in manifests/devices.parquet (unless dry_run); refused if any of its names is known."""
    name = " ".join(str(name).split())
    device_id = device_id_for(name)
    if fmt is not None and fmt not in FORMATS:
        raise DeviceError(f"device {name!r}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    registry = load_registry(datadir)
    for candidate in (name, *aliases):
        known = _candidates(candidate, registry)
        if known:
            names = ", ".join(d.name for d in known)
            raise DeviceError(f"device {candidate!r} is already registered as {names}; drop --new-device")
    if any(d.device_id == device_id for d in registry):
        raise DeviceError(f"device {name!r}: its id {device_id!r} is already taken; choose a distinct name")
    device = Device(device_id, name, tuple(aliases), fmt, (), notes)
    if not dry_run:
        if datadir is None:
            raise DeviceError(f"device {name!r}: a data directory is needed to register it")
        row = {
            "device_id": device_id,
            "name": name,
            "aliases": list(aliases),
            "format": fmt,
            "notes": notes,
            "added_at": datetime.now(UTC),
        }
        merge_manifest(datadir, "devices", [row])
    return device


def resolve_for_capture(
    name: str, datadir: DataDir | None, speed_ips: float, fmt: str | None = None, new_device: bool = False
) -> Device:
    """The deck of a capture, resolved and checked against speed and format; nothing is written.

    With new_device the name must be unknown; the caller registers it (add_device) once the capture is accepted.
    """
    speed = check_speed_value(speed_ips)
    if new_device:
        return add_device(datadir, name, fmt, dry_run=True)
    device = resolve_device(name, datadir, speed)
    if not plays_at(device, speed):
        speeds = ", ".join(f"{s:g}" for s in device.speeds_ips)
        raise DeviceError(f"device {device.name} plays at {speeds} ips, not {speed:g} ips")
    if fmt is not None and device.format is not None and fmt != device.format:
        raise DeviceError(f"device {device.name} is a {device.format} deck, not {fmt}")
    return device
