"""Tests of the run log: rows kept only when asked, rewritten atomically, truncated on resume."""

from __future__ import annotations

import csv

from noisekit.denoiser.runlog import RunLog


def _steps(path) -> list[int]:
    with open(path, newline="") as handle:
        return [int(r["step"]) for r in csv.DictReader(handle)]


def test_rows_are_kept_when_forced_and_flushed_on_close(tmp_path) -> None:
    log = RunLog(tmp_path, flush_every=100)
    for step in range(1, 11):
        log.add({"step": step, "loss": 1.0 / step, "lr": 1e-4, "steps_per_s": 2.0}, force=step % 2 == 0)
    log.close()
    assert _steps(tmp_path / "log.csv") == [2, 4, 6, 8, 10]


def test_resume_drops_rows_after_the_checkpoint(tmp_path) -> None:
    log = RunLog(tmp_path)
    for step in range(1, 8):
        log.add({"step": step, "loss": 0.5, "lr": 1e-4, "steps_per_s": 1.0}, force=True)
    log.close()
    resumed = RunLog(tmp_path, resume_step=4)
    resumed.add({"step": 5, "loss": 0.4, "lr": 1e-4, "steps_per_s": 1.0, "val_loss": 0.3, "val_dsnr": 2.0}, force=True)
    resumed.close()
    assert _steps(tmp_path / "log.csv") == [1, 2, 3, 4, 5]


def test_disabled_log_writes_nothing(tmp_path) -> None:
    log = RunLog(tmp_path, enabled=False)
    log.add({"step": 1, "loss": 0.1}, force=True)
    log.close()
    assert not (tmp_path / "log.csv").exists()
