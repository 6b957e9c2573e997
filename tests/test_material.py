"""Real material from Debian packages: a package the test builds with dpkg-deb, read from a local cache."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from noisekit.datadir import DataDir
from noisekit.errors import NoisekitError
from noisekit.manifests import read_manifest
from noisekit.pipelines import debian
from noisekit.pipelines.debian import Licence, check_package_name, read_licence
from noisekit.pipelines.material import MaterialOptions, MaterialSource, fetch_material

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is needed to build the package")

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0
Upstream-Name: fake

Files: *
Copyright: 2001 Code Author
License: GPL-2+

Files: data/music/*.ogg
Copyright: 2005 Jane Composer
           2006 John Arranger
License: CC-BY-SA-3.0

License: GPL-2+
 The text.
"""


def _tone(seconds: float, freq: float, sr: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def build_deb(cache: Path, package: str = "fake-music", tracks: int = 5) -> Path:
    """A real .deb: five Ogg tracks, a WAV effect, a corrupt Ogg, a text file and a DEP-5 copyright file."""
    tree = cache.parent / f"tree-{package}"
    music = tree / "usr/share/games/fake/data/music"
    music.mkdir(parents=True)
    for i in range(tracks):
        sf.write(music / f"track{i}.ogg", _tone(1.0 + 0.25 * i, 220 * (i + 1)), 44100, format="OGG")
    sf.write(tree / "usr/share/games/fake/data/boom.wav", _tone(0.5, 90, 22050), 22050)
    sf.write(tree / "usr/share/games/fake/data/loud.wav", 4 * _tone(0.5, 90), 44100, subtype="FLOAT")
    (music / "broken.ogg").write_bytes(b"OggS" + b"\0" * 60)
    (music / "notes.txt").write_text("not audio")
    doc = tree / "usr/share/doc" / package
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT)
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN/control").write_text(
        f"Package: {package}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n"
    )
    cache.mkdir(parents=True, exist_ok=True)
    deb = cache / f"{package}_1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(tree), str(deb)], check=True, capture_output=True)
    return deb


@pytest.fixture()
def fetched(tmp_path: Path) -> tuple[DataDir, list[dict]]:
    build_deb(tmp_path / "debs")
    data = DataDir(tmp_path / "d")
    options = MaterialOptions(sources=(MaterialSource("fake-music", "music"),), cache=tmp_path / "debs", progress=False)
    result = fetch_material(data, options)
    assert result.packages == 1 and result.files == 7
    return data, read_manifest(data, "material").to_pylist()


def test_members_are_decoded_to_flac_with_their_licence(fetched: tuple[DataDir, list[dict]]) -> None:
    data, rows = fetched
    ok = {Path(r["member"]).name: r for r in rows if r["status"] == "ok"}
    assert set(ok) == {f"track{i}.ogg" for i in range(5)} | {"boom.wav", "loud.wav"}
    track = ok["track2.ogg"]
    assert track["licence"] == "CC-BY-SA-3.0" and track["copyright"] == "2005 Jane Composer"
    assert ok["boom.wav"]["licence"] == "GPL-2+" and ok["boom.wav"]["sample_rate"] == 22050
    assert track["version"] == "1.0-1" and track["package"] == "fake-music" and track["kind"] == "music"
    decoded, sr = sf.read(data.resolve(track["path"]), dtype="float32")
    original, _ = sf.read(Path(data.root.parent / "tree-fake-music" / track["member"]), dtype="float32")
    assert sr == 44100 and decoded.shape == original.shape
    assert np.max(np.abs(decoded - original)) < 1e-5  # lossless up to 24-bit quantisation
    assert track["duration_s"] == pytest.approx(1.5, abs=0.01)


def test_audio_over_full_scale_is_scaled_down_and_the_gain_recorded(fetched: tuple[DataDir, list[dict]]) -> None:
    data, rows = fetched
    (loud,) = [r for r in rows if r["member"].endswith("loud.wav")]
    decoded, _ = sf.read(data.resolve(loud["path"]), dtype="float32")
    assert np.max(np.abs(decoded)) == pytest.approx(0.999, abs=1e-4)
    assert loud["gain_db"] == pytest.approx(20 * np.log10(0.999 / 1.2), abs=0.01)
    assert all(r["gain_db"] == 0.0 for r in rows if r["status"] == "ok" and r is not loud)


def test_an_unreadable_member_is_a_failed_row_and_the_rest_go_on(fetched: tuple[DataDir, list[dict]]) -> None:
    _, rows = fetched
    (broken,) = [r for r in rows if r["status"] == "failed"]
    assert broken["member"].endswith("broken.ogg") and broken["error"]
    assert not any(r["member"].endswith(".txt") for r in rows)


def test_every_package_keeps_tracks_out_of_training(fetched: tuple[DataDir, list[dict]]) -> None:
    _, rows = fetched
    splits = {r["split"] for r in rows}
    assert {"valid", "test"} <= splits and "train" in splits
    groups = {}
    for r in rows:
        groups.setdefault(r["group"], set()).add(r["split"])
    assert all(len(s) == 1 for s in groups.values())


def test_a_rerun_decodes_nothing_again(fetched: tuple[DataDir, list[dict]], tmp_path: Path) -> None:
    data, rows = fetched
    stamps = {r["path"]: data.resolve(r["path"]).stat().st_mtime_ns for r in rows if r["status"] == "ok"}
    options = MaterialOptions(sources=(MaterialSource("fake-music", "music"),), cache=tmp_path / "debs", progress=False)
    fetch_material(data, options)
    again = read_manifest(data, "material").to_pylist()
    assert sorted(r["path"] for r in again) == sorted(r["path"] for r in rows)
    assert {p: data.resolve(p).stat().st_mtime_ns for p in stamps} == stamps
    assert not list((data.root / "material").glob(".unpack-*"))


def test_a_package_that_cannot_be_had_is_reported_and_the_others_go_on(tmp_path: Path, monkeypatch) -> None:
    build_deb(tmp_path / "debs")
    which = shutil.which
    monkeypatch.setattr(debian.shutil, "which", lambda name: None if name == "apt-get" else which(name))
    sources = (MaterialSource("not-here", "speech"), MaterialSource("fake-music", "music", max_files=3))
    result = fetch_material(DataDir(tmp_path / "d"), MaterialOptions(sources, cache=tmp_path / "debs", progress=False))
    assert result.packages == 1 and result.files == 2  # boom.wav, loud.wav; broken.ogg failed
    assert any("not-here" in f and "apt-get is not available" in f for f in result.failed)


@pytest.mark.parametrize("name", ["-o", "../x", "A", "x y", ""])
def test_hostile_package_names_are_refused(name: str) -> None:
    with pytest.raises(NoisekitError, match="not a Debian package name"):
        check_package_name(name)


def test_licence_from_the_prose_of_an_old_copyright_file(tmp_path: Path) -> None:
    doc = tmp_path / "usr/share/doc/old"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Copyright:\n   Copyright 2004 Oliver Vogel & others\n\n   This package is free software; you can "
        "redistribute it and/or modify\n   it under the terms of the GNU General Public License as published by\n"
        "   the Free Software Foundation; either version 2 of the License, or\n   (at your option) any later version.\n"
    )
    expected = Licence("GPL-2+ (from the copyright text)", "2004 Oliver Vogel & others")
    assert read_licence(tmp_path, "old", "x.wav") == expected
    assert read_licence(tmp_path, "absent", "x.wav").name.startswith("unknown")


def test_sounds_inside_zip_containers_are_taken_and_hostile_members_are_not(tmp_path: Path) -> None:
    """Games ship sounds in .pk3 (zip) files; their members are decoded like any other, never written outside."""
    import io
    import zipfile

    from noisekit.pipelines.debian import expand_containers

    root = tmp_path / "pkg"
    (root / "usr/share/game").mkdir(parents=True)
    buf = io.BytesIO()
    sf.write(buf, _tone(0.5, 330), 44100, format="WAV")
    with zipfile.ZipFile(root / "usr/share/game/0sound.pk3", "w") as archive:
        archive.writestr("sound/bird.wav", buf.getvalue())
        archive.writestr("../../evil.wav", buf.getvalue())
        archive.writestr("maps/level.bsp", b"not wanted")
    expand_containers(root, ("*.wav",))
    found = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert found == ["pkg/usr/share/game/0sound.pk3", "pkg/usr/share/game/0sound.pk3.d/sound/bird.wav"]
    # a pattern may name the path inside the container, as it may for any other member
    shutil.rmtree(root / "usr/share/game/0sound.pk3.d")
    expand_containers(root, ("*/maps/*.wav", "*/0sound.pk3.d/sound/*.wav"))
    assert (root / "usr/share/game/0sound.pk3.d/sound/bird.wav").is_file()
    assert not (root / "usr/share/game/0sound.pk3.d/maps").exists()
