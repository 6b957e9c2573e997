"""Packaging: one import package. The top-level folders install as noisekit.classifier, noisekit.denoiser,
noisekit.manifests and noisekit.pipelines, so nothing else lands in site-packages beside noisekit."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("classifier", "denoiser", "manifests", "pipelines")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy: setuptools writes build/ and *.egg-info beside the sources it builds
    source = out / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "demo-data", "__pycache__", ".*_cache"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("noisekit-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_installs_noisekit_and_nothing_else_at_the_top(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"noisekit"}
    names = set(wheel.namelist())
    for part in PARTS:
        assert f"noisekit/{part}/__init__.py" in names


def test_wheel_carries_the_shipped_weights_and_configs(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for expected in [
        "noisekit/classifier/weights/noise_cnn.safetensors",
        "noisekit/classifier/weights/noise_cnn.json",
        "noisekit/denoiser/weights/small.safetensors",
        "noisekit/denoiser/weights/small.json",
        "noisekit/pipelines/demo.toml",
        "noisekit/pipelines/report_template.html",
        "noisekit/data/devices.csv",
    ]:
        assert expected in names, expected


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_code_imports_the_parts_by_their_folder_names() -> None:
    """`import classifier` works only from the repository root, and would load a second copy of the module."""
    offenders = []
    for folder in ("noisekit", *PARTS, "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            bad = {m for m in _imported_modules(path) if m.split(".")[0] in PARTS}
            offenders += [f"{path.relative_to(ROOT)}: {m}" for m in sorted(bad)]
    assert not offenders, offenders
