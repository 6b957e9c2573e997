"""The log of a training run: ``log.csv`` (rewritten atomically) and TensorBoard scalars when installed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from noisekit.fsutil import atomic_write

COLUMNS = ("step", "loss", "lr", "steps_per_s", "val_loss", "val_dsnr")


class RunLog:
    """Rows of scalars per step; a resumed run keeps the rows up to the step it resumed from."""

    def __init__(self, out: Path, enabled: bool = True, resume_step: int | None = None, flush_every: int = 20) -> None:
        self.path = Path(out) / "log.csv"
        self.enabled = enabled
        self.rows: list[dict] = []
        self.flush_every, self._pending = flush_every, 0
        self._tb = None
        if not enabled:
            return
        if resume_step is not None and self.path.exists():
            with open(self.path, newline="") as handle:
                self.rows = [r for r in csv.DictReader(handle) if int(r["step"]) <= resume_step]
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(Path(out) / "tensorboard"))
        except ImportError:  # tensorboard is optional
            self._tb = None

    def add(self, row: dict, force: bool = False) -> None:
        """Record one row (kept only when ``force``: every log_every steps, validations, the end)."""
        if not (self.enabled and force):
            return
        self.rows.append(row)
        if self._tb is not None:
            for key, value in row.items():
                if key != "step":
                    self._tb.add_scalar(key, value, row["step"])
        self._pending += 1
        if self._pending >= self.flush_every or "val_loss" in row:
            self.flush()

    def flush(self) -> None:
        """Rewrite log.csv atomically with every row so far."""
        if not self.enabled:
            return
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(self.rows)
        with atomic_write(self.path, "w") as handle:
            handle.write(buf.getvalue())
        self._pending = 0

    def close(self) -> None:
        """Flush and close TensorBoard."""
        self.flush()
        if self._tb is not None:
            self._tb.close()
