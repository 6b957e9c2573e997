"""The restore chain as a stream: declick, denoise and inpaint each work cell by cell with their own context.

A stage cuts the recording into cells of a fixed length counted from sample 0 (never from where a read block
happens to end) and processes cell k from the samples ``[kG - left, (k+1)G + right)`` of its input, so the
output does not depend on how the file is read, and memory is a few cells per stage whatever the length.
A repair (a click, a gap) is decided on the cell and its context and belongs to the cell that holds its
start (gaps) or centre (clicks); it is done whole, even where it reaches into the next cell.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np

from noisekit.denoiser.classical.clickdetect import EventRule
from noisekit.denoiser.classical.declick import DeclickParams, block_len, declick
from noisekit.denoiser.classical.inpaint import Gap as GapResult
from noisekit.denoiser.classical.inpaint import InpaintParams, inpaint, reach
from noisekit.pipelines.restore_scan import GapScan, GateScan, Plan
from noisekit.signal import fade_in, runs

if TYPE_CHECKING:
    from noisekit.pipelines.restore import RestoreOptions

DenoiseFn = Callable[[np.ndarray, int], np.ndarray]
CELL_S = 15.0  # the length of a cell: a step's memory is that of one cell and its context
DENOISE_MARGIN_S = 1.0


class Stage:
    """A step over a stream of (channels, k) blocks: cells of ``cell`` samples, each with its context."""

    def __init__(self, plan: Plan, channels: int, cell: int, left: int, right: int) -> None:
        self.plan, self.n, self.cell, self.left, self.right = plan, plan.n, cell, left, right
        self.buf = np.zeros((channels, 0), dtype=np.float32)
        self.lo = 0  # the buffer holds input samples [lo, lo + buf.shape[1])
        self.a = 0  # the start of the next cell
        self.seconds = 0.0

    def push(self, block: np.ndarray) -> list[np.ndarray]:
        """Take the next input samples; returns the output blocks that are now final, in order."""
        self.buf = np.concatenate([self.buf, block], axis=1)
        out = []
        while self.a < self.n and self.lo + self.buf.shape[1] >= min(self.n, self._b() + self.right):
            t0 = time.perf_counter()
            a, b = self.a, self._b()
            wlo, whi = max(0, a - self.left), min(self.n, b + self.right)
            out.append(self.process(a, b, wlo, self.buf[:, wlo - self.lo : whi - self.lo]))
            self.a = b
            keep = max(0, b - self.left) - self.lo
            self.buf, self.lo = self.buf[:, keep:], self.lo + keep
            self.seconds += time.perf_counter() - t0
        return out

    def _b(self) -> int:
        """The end of the next cell; a remainder shorter than the right context joins it."""
        b = self.a + self.cell
        return self.n if self.n - b < self.right else b

    def process(self, a: int, b: int, wlo: int, window: np.ndarray) -> np.ndarray:
        """The output that cell ``[a, b)`` makes final, given the input ``window`` starting at ``wlo``."""
        raise NotImplementedError


def align(samples: int, unit: int) -> int:
    """``samples`` rounded up to a multiple of ``unit``."""
    return -(-samples // unit) * unit


class DeclickStage(Stage):
    """Clicks decided on each cell with a second of context; a cell keeps those centred in its span."""

    def __init__(self, plan: Plan, channels: int, sr: int, params: DeclickParams, cell_s: float) -> None:
        # cells and context are whole numbers of the detector's model blocks and scale frames, so a click is
        # judged on the same blocks and frames whichever cell sees it
        unit = math.lcm(block_len(sr, params), max(1, int(round(EventRule.frame_s * sr))))
        context = align(sr, unit)
        super().__init__(plan, channels, align(int(cell_s * sr), unit), context, context)
        self.sr, self.params = sr, params
        self.margin = params.order + int(params.dilate_s * sr) + 2
        self.done = [0] * channels  # per channel: the end of the last repair made
        self.pending: list[tuple[int, int, np.ndarray]] = []  # repairs reaching past their cell's end
        self.hold = int(round(params.max_click_s * sr)) + 1  # no repair is wider (longer runs are left alone)
        self.carry = np.zeros((channels, 0), dtype=np.float32)
        self.on_click: Callable[[int, int, int, str], None] = lambda c, s, e, kind: None
        self.count = self.replaced = 0

    def process(self, a: int, b: int, wlo: int, window: np.ndarray) -> np.ndarray:
        active = self.plan.active_mask(wlo, wlo + window.shape[1])
        if active[a - wlo : b - wlo].any():
            for c in range(window.shape[0]):
                self._channel(c, a, b, wlo, window[c], active)
        # a click centred just after a; can start before it: the last `hold` samples wait for the next cell
        out = np.concatenate([self.carry, window[:, a - wlo : b - wlo]], axis=1)
        lo = a - self.carry.shape[1]
        later = []
        for c, s, values in self.pending:
            first, last = max(s, lo), min(s + len(values), b)
            if last > first:
                out[c, first - lo : last - lo] = values[first - s : last - s]
            if s + len(values) > b:
                later.append((c, s, values))
        self.pending = later
        hold = self.hold if b < self.n else 0
        self.carry = out[:, out.shape[1] - hold :]
        return out[:, : out.shape[1] - hold]

    def _channel(self, c: int, a: int, b: int, wlo: int, x: np.ndarray, active: np.ndarray) -> None:
        ignore = ~active
        for start, stop, _ in self.plan.gaps[c]:
            if start < wlo + len(x) + self.margin and stop > wlo - self.margin:
                ignore[max(0, start - self.margin - wlo) : max(0, stop + self.margin - wlo)] = True
        result = declick(x, self.sr, self.params, ignore=ignore)
        for (s, e), kind in zip(result.clicks, result.kinds, strict=True):
            start, stop = int(s) + wlo, int(e) + wlo
            if not a <= (start + stop) // 2 < b or start < self.done[c]:
                continue  # another cell's click, or one the previous cell already repaired
            self.pending.append((c, start, result.audio[s:e].copy()))
            self.on_click(c, start, stop, kind)
            self.count, self.replaced = self.count + 1, self.replaced + stop - start
            self.done[c] = stop


class DenoiseStage(Stage):
    """The denoiser on each cell's noisy samples with a second of context; neighbours cross-faded.

    Where two cells' outputs overlap (half a margin either side of their border) they are blended with a sin²
    ramp, and kept exactly where they agree; the edge effects of either side fall in the discarded rest.
    """

    def __init__(self, plan: Plan, channels: int, sr: int, fn: DenoiseFn, fade: int, cell_s: float) -> None:
        margin = int(DENOISE_MARGIN_S * sr)
        super().__init__(plan, channels, int(cell_s * sr), margin, margin)
        self.sr, self.fn, self.fade = sr, fn, fade
        self.half = margin // 2
        self.tail: np.ndarray | None = None  # the previous cell's output over [a - half, a + half)

    def process(self, a: int, b: int, wlo: int, window: np.ndarray) -> np.ndarray:
        whi = wlo + window.shape[1]
        first = a if a == 0 else a - self.half
        last = b if b == self.n else min(self.n, b + self.half)
        y = window.copy()
        active = self.plan.active_mask(wlo, whi)
        for s, e in runs(active):
            if s + wlo < last and e + wlo > first:
                y[:, s:e] = np.asarray(self.fn(window[:, s:e], self.sr), dtype=np.float32).reshape(window[:, s:e].shape)
        w = self.plan.weights(first, last, self.fade)[None, :]
        x = window[:, first - wlo : last - wlo]
        den = y[:, first - wlo : last - wlo]
        out = np.where(w >= 1, den, np.where(w <= 0, x, (w * den + (1 - w) * x).astype(np.float32)))
        if self.tail is not None:
            ramp = fade_in(2 * self.half)[None, :].astype(np.float32)
            mine = out[:, : 2 * self.half]
            out[:, : 2 * self.half] = np.where(mine == self.tail, mine, ramp * mine + (1 - ramp) * self.tail)
        self.tail = out[:, -2 * self.half :].copy() if b < self.n else None
        return out if self.tail is None else out[:, : -2 * self.half]


class InpaintStage(Stage):
    """Gaps found on the input, refilled from the restored context; a cell fills the gaps starting in it."""

    def __init__(self, plan: Plan, channels: int, sr: int, params: InpaintParams, cell_s: float) -> None:
        self.max_len = int(round(params.max_gap_s * sr))
        context = reach(params, sr) + self.max_len + 1
        super().__init__(plan, channels, int(cell_s * sr), context, context)
        self.sr, self.params = sr, params
        self.inside = [[g for g in gaps if plan.active_mask(g[0], g[1]).all()] for gaps in plan.gaps]
        self.listed: list[dict] = []

    def process(self, a: int, b: int, wlo: int, window: np.ndarray) -> np.ndarray:
        whi = wlo + window.shape[1]
        for c in range(window.shape[0]):
            near = [g for g in self.inside[c] if g[0] < whi and g[1] > wlo]
            owned = [g for g in near if a <= g[0] < b]
            if owned:
                shifted = [(max(s, wlo) - wlo, min(e, whi) - wlo, k) for s, e, k in near]
                result = inpaint(window[c], self.sr, self.params, gaps=shifted)
                status = {(g.start + wlo, g.stop + wlo): g for g in result.gaps}
                for s, e, kind in owned:
                    if s == 0 or e >= self.n:
                        found = GapResult(s, e, kind, "edge")
                    elif e - s > self.max_len:
                        found = GapResult(s, e, kind, "too_long")
                    else:
                        found = GapResult(s, e, kind, status[(s, e)].status)
                    if found.status == "filled":
                        window[c, s - wlo : e - wlo] = result.audio[s - wlo : e - wlo]
                    self.listed.append({"channel": c, **found.as_dict(self.sr)})
            for s, e, kind in self.plan.gaps[c]:
                if a <= s < b and not self.plan.active_mask(s, e).all():
                    self.listed.append(
                        {
                            "channel": c,
                            "start": s,
                            "stop": e,
                            "kind": kind,
                            "status": "skipped_clean",
                            "start_s": s / self.sr,
                            "duration_s": (e - s) / self.sr,
                        }
                    )
        return window[:, a - wlo : b - wlo].copy()


def scan(blocks: Iterable[np.ndarray], n: int, channels: int, sr: int, options: RestoreOptions) -> Plan:
    """The first pass: the gate's stretches (or the whole recording as one noisy span) and each channel's gaps."""
    from noisekit.denoiser.classical.gate import model_for_rate

    gate = None
    if "gate" in options.steps:
        gate = GateScan(n, sr, options.gate_model or model_for_rate(sr), options.stretch_s)
    gaps = [GapScan(sr, options.inpaint) for _ in range(channels)] if "inpaint" in options.steps else []
    for block in blocks:
        if gate is not None:
            gate.push(block)
        for c, g in enumerate(gaps):
            g.push(block[c])
    for g in gaps:
        g.push(np.zeros(0, dtype=np.float32), last=True)
    stretches = gate.stretches() if gate is not None else []
    active = [(s.start, s.stop) for s in stretches if s.noisy] if gate is not None else [(0, n)]
    merged: list[tuple[int, int]] = []
    for start, stop in active:  # neighbouring noisy stretches are one span: its fades lie at its true ends
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return Plan(n, merged, stretches, [g.gaps() for g in gaps] or [[] for _ in range(channels)])


def gate_report(plan: Plan, sr: int, ran: bool) -> dict:
    """The gate's part of the report: noisy and clean seconds and every stretch with p(noisy)."""
    if not ran:
        return {"ran": False}
    noisy_s = sum(e - s for s, e in plan.active) / sr
    return {
        "ran": True,
        "recording_noisy": bool(plan.active),
        "noisy_s": float(noisy_s),
        "clean_s": float(plan.n / sr - noisy_s),
        "stretches": [
            {
                "start_s": s.start / sr,
                "stop_s": s.stop / sr,
                "p_noisy": None if np.isnan(s.p_noisy) else round(s.p_noisy, 4),
                "noisy": s.noisy,
            }
            for s in plan.stretches
        ],
    }


def run_chain(
    blocks: Callable[[], Iterable[np.ndarray]],
    n: int,
    channels: int,
    sr: int,
    denoise_fn: DenoiseFn | None,
    options: RestoreOptions,
    emit: Callable[[np.ndarray, np.ndarray], None],
    on_click: Callable[[int, int, int, str], None],
    on_step: Callable[[str], None] | None = None,
    cell_s: float = CELL_S,
) -> dict:
    """Restore a stream of (channels, k) blocks (``blocks()`` gives them afresh: the gate and gap scan read
    them once, the steps again): ``emit(input, restored)`` receives consecutive blocks in order,
    ``on_click(channel, start, stop, kind)`` every repair; returns the report's step parts and timings."""
    t0 = time.perf_counter()
    plan = scan(blocks(), n, channels, sr, options)
    report: dict = {"gate": gate_report(plan, sr, "gate" in options.steps)}
    seconds = {"gate": time.perf_counter() - t0}
    if on_step is not None:
        on_step("gate")
    stages: dict[str, Stage] = {}
    declicker: DeclickStage | None = None
    inpainter: InpaintStage | None = None
    if "declick" in options.steps:
        declicker = stages["declick"] = DeclickStage(plan, channels, sr, options.declick, cell_s)
        declicker.on_click = on_click
    if "denoise" in options.steps:
        assert denoise_fn is not None, "restore refuses the denoise step without a denoiser"
        stages["denoise"] = DenoiseStage(plan, channels, sr, denoise_fn, int(options.fade_s * sr), cell_s)
    if "inpaint" in options.steps:
        inpainter = stages["inpaint"] = InpaintStage(plan, channels, sr, options.inpaint, cell_s)
    held = np.zeros((channels, 0), dtype=np.float32)
    for block in blocks():
        held = np.concatenate([held, block], axis=1)
        outs = [block]
        for stage in stages.values():
            outs = [y for x in outs for y in stage.push(x)]
        for y in outs:
            emit(held[:, : y.shape[1]], y)
            held = held[:, y.shape[1] :]
    for name, stage in stages.items():
        seconds[name] = stage.seconds
        if on_step is not None:
            on_step(name)
    processed = sum(e - s for s, e in plan.active) / sr
    if declicker is not None:
        report["declick"] = {
            "clicks": declicker.count,
            "samples_replaced": declicker.replaced,
            "clicks_per_s": declicker.count / max(processed, 1e-9) / channels,
            "params": asdict(options.declick),
        }
    if "denoise" in stages:
        report["denoise"] = {
            "denoiser": options.denoiser_name or getattr(denoise_fn, "__name__", "callable"),
            "seconds_processed": float(processed),
            "fade_s": options.fade_s,
        }
    if inpainter is not None:
        listed = sorted(inpainter.listed, key=lambda g: (g["channel"], g["start"]))
        report["inpaint"] = {
            "gaps": len(listed),
            "filled": sum(g["status"] == "filled" for g in listed),
            "too_long": sum(g["status"] == "too_long" for g in listed),
            "params": asdict(options.inpaint),
            "list": listed,
        }
    report["seconds"] = seconds
    return report
