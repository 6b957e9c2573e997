"""What taking the data directory's write lock costs: after a clean finish, one small file; after a killed
run, a walk of the whole data directory for its temporaries, which grows with the number of files there.

    python benchmarks/lock_sweep.py                     # 10 000 and 100 000 files
    python benchmarks/lock_sweep.py --files 400000      # about the Great 78's 100 000 sides

Builds a data directory of empty files laid out like a real one (recordings/<id>/<file>, a cut folder per
recording under noise/gramophone/, a part per recording), then times taking and releasing the lock after a
clean finish, and the sweep a start after a kill runs (best of 3, file system caches warm).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noisekit.fsutil import remove_stale_temporaries  # noqa: E402
from noisekit.lock import datadir_lock  # noqa: E402


def build(root: Path, files: int) -> None:
    """About `files` empty files: per recording one side, a raw cut, its loop and a manifest part."""
    parts = root / "manifests" / "parts" / "noise"
    parts.mkdir(parents=True)
    for i in range(files // 4):
        rec, cuts = root / "recordings" / f"item{i:06d}", root / "noise" / "gramophone" / f"item{i:06d}"
        (cuts / "raw").mkdir(parents=True)
        rec.mkdir(parents=True)
        for path in (rec / "side.flac", cuts / "raw" / "a.flac", cuts / "a.flac", parts / f"item{i:06d}.parquet"):
            path.touch()


def _lock_once(root: str) -> None:
    with datadir_lock(root, "benchmark"):
        pass


def _best(step, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for files in args.files:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp), files)
            _lock_once(tmp)  # the first start sweeps; the later ones find the last writer "done"
            clean = _best(lambda: _lock_once(tmp))
            sweep = _best(lambda: remove_stale_temporaries(tmp))
            print(
                f"{files:>8} files: lock after a clean finish {clean * 1000:6.2f} ms; "
                f"sweep after a kill {sweep * 1000:8.1f} ms ({sweep / files * 1e6:.2f} µs per file)"
            )


if __name__ == "__main__":
    main()
