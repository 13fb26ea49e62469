"""ll_mha: fused attention with KV cache (``make sim MODULE=mha`` / ``pytest verif/mha``).

The kernel runs in verif/mha/mha_tb_top.sv with one ll_axi_mem_sim per memory port. The cache is
placed with refmodel/kv_layout.py, loaded into the memories and read back with the memory model's
binary file load/dump. Every context vector and the whole cache image of the layer are compared
bit for bit with refmodel/intops.py (attention_head) after every token.

cocotb tests (each runs on every parameter set of test_mha):
  random_positions   random heads at positions 0, 1, Ports-1, Ports, block boundaries, random and
                     MaxCtx-1 (the maximum context), cache preloaded, two layer bases
  multi_token        every position from 0 to MaxCtx-1 in order, from an empty cache written only by
                     the kernel: context checked at every token, the whole cache after every token
                     (MaxCtx <= 64) or at the first tokens, every 16th and the last
  softmax_corners    one position, all-equal scores, the maximum first / last, extreme score ranges
  stalls_and_reset   random memory stalls and latencies, input idles, output back-pressure, a reset
                     in the middle of a token: results identical to the unstalled run. Its stall bins
                     are observed, not configured (MhaTb.observe): memory stall and latency-wait
                     cycles counted inside the memory models, input idle cycles the kernel saw while
                     ready, output stall cycles from a monitor; the reset bin needs busy_o at the
                     reset. Every stall a run configures must have been observed.
  errors             pos >= MaxCtx, read SLVERR, write SLVERR: sticky error code, done, no hang
  address_bits       layer bases with alternating address bits (0x5555_55xx, 0xAAAA_AAxx: every
                     kv_base / AR / AW address bit toggles both ways, bursts split at odd 4 KB
                     offsets), scale shifts >= 32, then a layer past the end of memory: DECERR on the
                     reads and the writes of every port
  latency            unstalled cycles == refmodel/cyclemodel/mha.py; prints KV bytes read per cycle
                     (the pytest wrapper shows the line of the maximum context on the console)
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverPoint

from refmodel import intops
from refmodel.cyclemodel import mha as cyc
from refmodel.kv_layout import KvLayout
from verif.lib.bits import pack_lanes, unpack_lanes
from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.runner import BUILD_ROOT, build_name, env_flag, run_sim
from verif.lib.streams import StreamMonitor, StreamSink, StreamSource, make_pattern

MODULE = "mha"
BEAT = 32
READ_LATENCY = 8  # memory read latency of the unstalled runs (cycles from AR to first R beat)
TIMEOUT = 200_000


# --------------------------------------------------------------------------------------------------
# testbench

class MhaTb:
    def __init__(self, dut):
        self.dut = dut
        self.dh = int(dut.HeadDim.value)
        self.heads = int(dut.Heads.value)
        self.max_ctx = int(dut.MaxCtx.value)
        self.ports = int(dut.Ports.value)
        self.lay = KvLayout(self.dh, self.heads, self.max_ctx, self.ports)
        self.seed = int(os.environ["SEED"])
        self.src: StreamSource | None = None
        self.sink: StreamSink | None = None
        self.ctx_mon: StreamMonitor | None = None
        # the memory models, whose observation counters (obs_*_q) measure the stalls they inserted
        self.mems = [dut[f"g_mem[{p}]"].u_mem for p in range(self.ports)]
        # reference cache state of the current layer base: [heads, max_ctx, dh]
        self.k = np.zeros((self.heads, self.max_ctx, self.dh), np.int8)
        self.v = np.zeros_like(self.k)

    async def start(self, idle=None, backpressure=None):
        d = self.dut
        start_clock(d.clk_i)
        for sig in (d.start_i, d.pos_i, d.kv_base_i, d.sm_m_i, d.sm_s_i, d.out_m_i, d.out_s_i,
                    d.qkv_valid_i, d.qkv_data_i, d.ctx_ready_i, d.cfg_stall_prob_i, d.cfg_err_en_i,
                    d.cfg_err_addr_i, d.load_req_i, d.dump_req_i, d.dump_addr_i, d.dump_bytes_i):
            sig.value = 0
        d.cfg_read_latency_i.value = READ_LATENCY
        d.cfg_seed_i.value = self.seed & 0xFFFFFFFF
        self.src = StreamSource(d.clk_i, d.qkv_valid_i, d.qkv_ready_o, d.qkv_data_i, idle=idle,
                                rst_n=d.rst_ni, name="qkv")
        self.sink = StreamSink(d.clk_i, d.ctx_valid_o, d.ctx_ready_i,
                               {"data": d.ctx_data_o, "head": d.ctx_head_o},
                               backpressure=backpressure, rst_n=d.rst_ni, name="ctx")
        # passive: output stall cycles (ctx_valid && !ctx_ready) and the AXI-Stream rules
        self.ctx_mon = StreamMonitor(d.clk_i, d.ctx_valid_o, d.ctx_ready_i,
                                     {"data": d.ctx_data_o, "head": d.ctx_head_o},
                                     callback=lambda it: None, rst_n=d.rst_ni, name="ctx")
        await reset(d, d.clk_i)

    MEM_COUNTERS = ("obs_ar_stall_q", "obs_r_stall_q", "obs_aw_stall_q", "obs_w_stall_q",
                    "obs_b_stall_q", "obs_r_wait_q")

    def counters(self) -> dict[str, int]:
        """Memory observation counters summed over the ports, input idles and output stalls."""
        c = {n: sum(int(getattr(m, n).value) for m in self.mems) for n in self.MEM_COUNTERS}
        c["in_idle"] = self.src.idle_cycles  # kernel ready, source idle with q/k/v queued
        c["out_stall"] = self.ctx_mon.stall_cycles
        return c

    def observe(self, before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
        """What happened between two counters() snapshots, by stall bin: memory stall cycles (AR, R,
        AW, W, B stalls drawn while the kernel was waiting on that channel), memory latency (cycles
        the R register was free while the head burst waited for its latency), input idles, output
        back-pressure; plus the R and AR stall cycles alone."""
        d = {n: (after[n] - before[n]) % (1 << 64) for n in after}
        return {"mem_stall": sum(d[n] for n in self.MEM_COUNTERS if n != "obs_r_wait_q"),
                "mem_latency": d["obs_r_wait_q"], "input_idle": d["in_idle"],
                "output_backpressure": d["out_stall"],
                "r_stall": d["obs_r_stall_q"], "ar_stall": d["obs_ar_stall_q"]}

    # ---- memory images
    def _image_bytes(self, base: int) -> int:
        return base + self.lay.layer_bytes

    async def load_cache(self, base: int) -> None:
        """Put the reference cache (all max_ctx rows) into the memories by file load."""
        imgs = self.lay.pack(self.k, self.v, base)
        for p, im in enumerate(imgs):
            Path(f"kv{p}_load.bin").write_bytes(bytes(im))
        await RisingEdge(self.dut.clk_i)
        self.dut.load_req_i.value = 1
        await RisingEdge(self.dut.clk_i)
        self.dut.load_req_i.value = 0
        await RisingEdge(self.dut.clk_i)

    async def check_cache(self, base: int, what: str) -> None:
        """Dump the layer from every port and compare the whole image with the reference cache."""
        d = self.dut
        d.dump_addr_i.value = base
        d.dump_bytes_i.value = self.lay.layer_bytes
        await RisingEdge(d.clk_i)
        d.dump_req_i.value = 1
        await RisingEdge(d.clk_i)
        d.dump_req_i.value = 0
        await RisingEdge(d.clk_i)
        exp = self.lay.pack(self.k, self.v, 0)  # the layer's image relative to its base
        for p in range(self.ports):
            got = Path(f"kv{p}_dump.bin").read_bytes()
            want = bytes(exp[p])
            if got != want:
                diff = next(i for i in range(len(want)) if got[i] != want[i])
                raise AssertionError(f"{what}: cache image of port {p} differs at byte 0x{base + diff:x} "
                                     f"(got {got[diff]}, expected {want[diff]})")

    # ---- one token
    async def run_token(self, pos: int, q, k, v, base: int, prm: dict, update_ref: bool = True,
                        check: bool = True) -> dict:
        """Launch one token, feed q/k/v, collect the context vectors; returns measurements."""
        d = self.dut
        dh, nb = self.dh, self.dh // BEAT
        exp_ctx = None
        if update_ref:
            self.k[:, pos] = k
            self.v[:, pos] = v
        if check:
            exp_ctx = [intops.attention_head(q[h], self.k[h, :pos + 1], self.v[h, :pos + 1], prm["sm_m"],
                                             prm["sm_s"], prm["out_m"], prm["out_s"])
                       for h in range(self.heads)]
        await RisingEdge(d.clk_i)
        d.start_i.value = 1
        d.pos_i.value = pos
        d.kv_base_i.value = base
        d.sm_m_i.value = prm["sm_m"]
        d.sm_s_i.value = prm["sm_s"]
        d.out_m_i.value = prm["out_m"]
        d.out_s_i.value = prm["out_s"]
        await RisingEdge(d.clk_i)
        d.start_i.value = 0
        for h in range(self.heads):
            for row in (q[h], k[h], v[h]):
                for b in range(nb):
                    self.src.send_nowait(pack_lanes([int(x) for x in row[b * BEAT:(b + 1) * BEAT]], 8))
        n0 = len(self.sink.items)
        cycles = 0
        while True:
            await ReadOnly()
            if int(d.done_o.value):
                break
            await RisingEdge(d.clk_i)
            cycles += 1
            if cycles > TIMEOUT:
                raise AssertionError(f"pos {pos}: done_o did not fire within {TIMEOUT} cycles")
        rd_beats = int(d.rd_beats_o.value)
        err = int(d.err_o.value)
        await RisingEdge(d.clk_i)
        items = [self.sink.items.popleft() for _ in range(len(self.sink.items) - n0)]
        assert len(items) == self.heads, f"pos {pos}: {len(items)} context beats, expected {self.heads}"
        ctx = []
        for h, it in enumerate(items):
            assert it["head"] == h, f"pos {pos}: beat {h} carries head {it['head']}"
            ctx.append(unpack_lanes(it["data"], dh, 8, signed=True).astype(np.int64))
        if check:
            assert err == 0, f"pos {pos}: unexpected error code {err}"
            for h in range(self.heads):
                if not np.array_equal(ctx[h], exp_ctx[h]):
                    i = int(np.flatnonzero(ctx[h] != exp_ctx[h])[0])
                    raise AssertionError(f"pos {pos} head {h}: ctx[{i}] = {ctx[h][i]}, expected "
                                         f"{exp_ctx[h][i]}")
        return {"cycles": cycles, "rd_beats": rd_beats, "ctx": ctx, "err": err}


def rand_params(rng: random.Random) -> dict:
    """Softmax and output scales that give non-trivial distributions and int8 outputs."""
    return {"sm_m": rng.randrange(1, 1 << 15), "sm_s": rng.randrange(12, 24),
            "out_m": rng.randrange(1, 1 << 15), "out_s": rng.randrange(26, 32)}


def rand_qkv(tb: MhaTb, nrng: np.random.Generator):
    shape = (tb.heads, tb.dh)
    return (nrng.integers(-128, 128, shape).astype(np.int8), nrng.integers(-128, 128, shape).astype(np.int8),
            nrng.integers(-128, 128, shape).astype(np.int8))


def pos_class(pos: int, tb: MhaTb) -> str:
    if pos == 0:
        return "zero"
    if pos == 1:
        return "one"
    if pos == tb.max_ctx - 1:
        return "max"
    if (pos + 1) % tb.ports == 0 or pos % tb.ports == 0:
        return "port_boundary"
    return "other"


def pos_bins(tb: MhaTb) -> list[str]:
    """With 2 ports every position is at a port boundary (a new block of Ports rows starts or ends)."""
    return ["zero", "one", "port_boundary", "max"] + (["other"] if tb.ports > 2 else [])


def interesting_positions(tb: MhaTb, rng: random.Random) -> list[int]:
    p, mc = tb.ports, tb.max_ctx
    cand = [0, 1, p - 1, p, p + 1, 2 * p - 1, 4 * p, mc // 2 - 1, mc // 2, rng.randrange(mc), rng.randrange(mc),
            mc - 2, mc - 1]
    return sorted(set(x for x in cand if 0 <= x < mc))


# --------------------------------------------------------------------------------------------------
# tests

@cocotb.test()
async def random_positions(dut):
    tb = MhaTb(dut)
    await tb.start()
    rng = random.Random(tb.seed)
    nrng = np.random.default_rng(tb.seed)
    prefix = f"{MODULE}.random_positions"

    @CoverPoint(f"{prefix}.pos_class", xf=lambda c: c, bins=pos_bins(tb))
    def sample(cls):
        pass

    for base in (0, tb.lay.layer_base(1, cache_base=0x1000)):
        tb.k = nrng.integers(-128, 128, tb.k.shape).astype(np.int8)
        tb.v = nrng.integers(-128, 128, tb.v.shape).astype(np.int8)
        await tb.load_cache(base)
        for pos in interesting_positions(tb, rng):
            q, k, v = rand_qkv(tb, nrng)
            await tb.run_token(pos, q, k, v, base, rand_params(rng))
            await tb.check_cache(base, f"base 0x{base:x} pos {pos}")
            sample(pos_class(pos, tb))
    export_func_coverage(MODULE, f"random_positions-{tb.dh}-{tb.heads}-{tb.max_ctx}-{tb.ports}", prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def multi_token(dut):
    tb = MhaTb(dut)
    await tb.start()
    rng = random.Random(tb.seed + 1)
    nrng = np.random.default_rng(tb.seed + 1)
    base = 0
    tb.k[:] = 0
    tb.v[:] = 0
    await tb.load_cache(base)
    prm = rand_params(rng)  # one layer: the same scales for every token
    # Every position from 0 to the maximum context, the cache written only by the kernel; the
    # context vector is compared at every token, the whole cache image after every token of the
    # small configurations and, for the larger, at the first tokens, every 16th and the last.
    for pos in range(tb.max_ctx):
        q, k, v = rand_qkv(tb, nrng)
        await tb.run_token(pos, q, k, v, base, prm)
        if tb.max_ctx <= 64 or pos < 2 * tb.ports + 3 or pos % 16 == 15 or pos == tb.max_ctx - 1:
            await tb.check_cache(base, f"after token {pos}")


SM_CASES = ["single", "all_equal", "max_first", "max_last", "extreme_range"]


@cocotb.test()
async def softmax_corners(dut):
    tb = MhaTb(dut)
    await tb.start()
    rng = random.Random(tb.seed + 2)
    nrng = np.random.default_rng(tb.seed + 2)
    prefix = f"{MODULE}.softmax_corners"

    @CoverPoint(f"{prefix}.case", xf=lambda c: c, bins=SM_CASES)
    def sample(case):
        pass

    base = 0
    for case in SM_CASES:
        for _ in range(2):
            prm = rand_params(rng)
            q, k, v = rand_qkv(tb, nrng)
            tb.k = nrng.integers(-128, 128, tb.k.shape).astype(np.int8)
            tb.v = nrng.integers(-128, 128, tb.v.shape).astype(np.int8)
            pos = rng.randrange(1, tb.max_ctx)
            if case == "single":
                pos = 0
            elif case == "all_equal":
                row = nrng.integers(-128, 128, (tb.heads, 1, tb.dh)).astype(np.int8)
                tb.k[:] = row
                k = row[:, 0]
            elif case == "max_first":
                tb.k[:, :pos + 1] = nrng.integers(-8, 8, tb.k[:, :pos + 1].shape).astype(np.int8)
                k = nrng.integers(-8, 8, k.shape).astype(np.int8)
                tb.k[:, 0] = np.where(q >= 0, 127, -128)
            elif case == "max_last":
                tb.k[:, :pos] = nrng.integers(-8, 8, tb.k[:, :pos].shape).astype(np.int8)
                k = np.where(q >= 0, 127, -128).astype(np.int8)
            else:  # extreme: scores at both ends of the int8 x int8 range, steepest exponent
                q = np.full(q.shape, -128, np.int8)
                tb.k[:, :pos] = np.where(nrng.random(tb.k[:, :pos].shape[:2])[..., None] < 0.5, -128, 127)
                k = np.full(k.shape, 127, np.int8)
                prm["sm_m"], prm["sm_s"] = (1 << 15) - 1, rng.choice([0, 4])
                prm["out_s"] = 22
            await tb.load_cache(base)
            await tb.run_token(pos, q, k, v, base, prm)
            await tb.check_cache(base, f"{case} pos {pos}")
            sample(case)
    export_func_coverage(MODULE, f"softmax_corners-{tb.dh}-{tb.heads}-{tb.max_ctx}-{tb.ports}", prefix=prefix)
    assert_all_bins_hit(prefix)


STALL_BINS = ["none", "mem_stall", "mem_latency", "input_idle", "output_backpressure", "reset"]
OBSERVED_STALLS = ("mem_stall", "mem_latency", "input_idle", "output_backpressure")


def hold_until_valid(valid, then):
    """Back-pressure pattern: ready low until the first cycle in which `valid` is high has been held
    (so a run's back-pressure is observed for sure, whatever the random draws), then `then`."""
    while True:
        seen = bool(valid.value)
        yield True
        if seen:
            break
    yield from then


@cocotb.test()
async def stalls_and_reset(dut):
    tb = MhaTb(dut)
    rng = random.Random(tb.seed + 3)
    nrng = np.random.default_rng(tb.seed + 3)
    await tb.start(idle=make_pattern("random_30", rng), backpressure=make_pattern("random_50", rng))
    prefix = f"{MODULE}.stalls_and_reset"

    @CoverPoint(f"{prefix}.pattern", xf=lambda c: c, bins=STALL_BINS)
    def sample(case):
        pass

    base = tb.lay.layer_base(2)
    tb.k = nrng.integers(-128, 128, tb.k.shape).astype(np.int8)
    tb.v = nrng.integers(-128, 128, tb.v.shape).astype(np.int8)
    await tb.load_cache(base)
    k0, v0 = tb.k.copy(), tb.v.copy()
    positions = [0, tb.ports, rng.randrange(tb.max_ctx), tb.max_ctx - 1]
    tokens = [(pos, *rand_qkv(tb, nrng), rand_params(rng)) for pos in positions]

    before: list = []

    async def run_all(stall_prob: int, latency: int, label: str) -> tuple[list, list, dict]:
        """The tokens on a freshly loaded cache: (context vectors, cycles per token, observed)."""
        tb.k, tb.v = k0.copy(), v0.copy()
        await tb.load_cache(base)
        dut.cfg_stall_prob_i.value = stall_prob
        dut.cfg_read_latency_i.value = latency
        outs, cycles = [], []
        before.clear()
        c0 = tb.counters()
        for pos, q, k, v, prm in tokens:
            before.append((tb.k.copy(), tb.v.copy()))  # the cache this token sees (earlier tokens wrote to it)
            r = await tb.run_token(pos, q, k, v, base, prm)
            await tb.check_cache(base, f"{label} pos {pos}")
            outs.append(r["ctx"])
            cycles.append(r["cycles"])
        obs = tb.observe(c0, tb.counters())
        dut._log.info(f"{label}: observed {obs}")
        for kind in OBSERVED_STALLS:  # the bins sample what the run really experienced
            if obs[kind] > 0:
                sample(kind)
        if not any(obs[kind] for kind in OBSERVED_STALLS):
            sample("none")
        return outs, cycles, obs

    # unstalled reference run: no idles, no back-pressure
    tb.src.idle, tb.sink.backpressure = None, None
    ref, ref_cycles, obs = await run_all(0, 1, "unstalled")
    assert not any(obs[kind] for kind in OBSERVED_STALLS), f"the unstalled run saw stalls: {obs}"
    for stall, lat, idle, bp in [(60, 1, None, None), (0, 37, None, None), (0, 1, 30, None), (0, 1, None, 60),
                                 (120, 23, 50, 50)]:
        tb.src.idle = make_pattern(f"random_{idle}", rng) if idle else None
        tb.sink.backpressure = (hold_until_valid(dut.ctx_valid_o, make_pattern(f"random_{bp}", rng))
                                if bp else None)
        label = f"stall {stall} latency {lat} idle {idle} bp {bp}"
        got, _, obs = await run_all(stall, lat, label)
        for a, b in zip(got, ref):
            for h in range(tb.heads):
                assert np.array_equal(a[h], b[h]), "stalled run differs from the unstalled run"
        # every stall this run configures must really have happened (no vacuous pass)
        configured = [kind for kind, on in (("mem_stall", stall), ("r_stall", stall), ("mem_latency", lat > 1),
                                            ("input_idle", idle), ("output_backpressure", bp)) if on]
        missing = [kind for kind in configured if obs[kind] == 0]
        assert not missing, f"{label}: {missing} configured but not observed ({obs})"

    # reset in the middle of a token, then the same token again: identical result
    pos, q, k, v, prm = tokens[-1]
    tb.k, tb.v = before[-1][0].copy(), before[-1][1].copy()
    await tb.load_cache(base)
    dut.cfg_stall_prob_i.value = 40
    # this run is cut by the reset below, so its (partial) outputs are not compared (check=False).
    # The reset comes before 3/4 of the token's unstalled cycle count: this run (memory stalls,
    # latency, idles and back-pressure) cannot be done by then.
    task = cocotb.start_soon(tb.run_token(pos, q, k, v, base, prm, update_ref=False, check=False))
    hi = min(200, 3 * ref_cycles[-1] // 4)
    await ClockCycles(dut.clk_i, rng.randrange(min(20, hi - 1), hi))
    task.cancel()
    dut.rst_ni.value = 0
    tb.src.clear()
    await ReadOnly()
    # busy_o is a register: at the first reset edge it still shows the state the reset interrupts
    assert dut.busy_o.value, "the reset did not hit a busy kernel"
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    tb.sink.items.clear()
    r = await tb.run_token(pos, q, k, v, base, prm)
    await tb.check_cache(base, "after reset")
    for h in range(tb.heads):
        assert np.array_equal(r["ctx"][h], ref[-1][h]), "result after a reset differs"
    sample("reset")  # observed: busy_o was asserted above when the reset hit
    export_func_coverage(MODULE, f"stalls_and_reset-{tb.dh}-{tb.heads}-{tb.max_ctx}-{tb.ports}", prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def errors(dut):
    tb = MhaTb(dut)
    await tb.start()
    rng = random.Random(tb.seed + 4)
    nrng = np.random.default_rng(tb.seed + 4)
    d = dut
    # 1. position out of range: done the cycle after start, error bit 0, nothing consumed
    for pos in (tb.max_ctx, 0xFFFF):
        await RisingEdge(d.clk_i)
        d.start_i.value = 1
        d.pos_i.value = pos
        await RisingEdge(d.clk_i)
        d.start_i.value = 0
        await ReadOnly()
        assert int(d.done_o.value) == 1 and int(d.err_o.value) == 1, "pos >= MaxCtx must fail at once"
        assert int(d.busy_o.value) == 0
        await RisingEdge(d.clk_i)
    # 2. read error on port 0 (K row 0 of head 0) and write error on the port of row pos:
    #    the kernel completes, flags the error, and the next clean token is correct again
    base = 0
    tb.k = nrng.integers(-128, 128, tb.k.shape).astype(np.int8)
    tb.v = nrng.integers(-128, 128, tb.v.shape).astype(np.int8)
    await tb.load_cache(base)
    pos = tb.ports + 1
    prm = rand_params(rng)
    q, k, v = rand_qkv(tb, nrng)
    d.cfg_err_en_i.value = 1
    d.cfg_err_addr_i.value = tb.lay.addr(base, 0, 0, 0)[1]
    r = await tb.run_token(pos, q, k, v, base, prm, check=False)  # an aborted token: its code is checked
    assert r["err"] == 2, f"read SLVERR: error code {r['err']}, expected 2"
    d.cfg_err_en_i.value = 0
    wport, waddr = tb.lay.addr(base, tb.heads - 1, 1, pos)
    d.cfg_err_en_i.value = 1 << wport
    d.cfg_err_addr_i.value = waddr
    r = await tb.run_token(pos, q, k, v, base, prm, check=False, update_ref=False)  # aborted: code checked
    assert r["err"] & 4, f"write SLVERR: error code {r['err']}, expected bit 2"
    d.cfg_err_en_i.value = 0
    await tb.load_cache(base)
    await tb.run_token(pos, q, k, v, base, prm)
    await tb.check_cache(base, "after errors")


@cocotb.test()
async def address_bits(dut):
    tb = MhaTb(dut)
    await tb.start()
    rng = random.Random(tb.seed + 6)
    nrng = np.random.default_rng(tb.seed + 6)
    mask = ~(tb.dh - 1) & 0xFFFF_FFFF  # a layer base is a multiple of HeadDim
    bases = [0x5555_5555 & mask, 0xAAAA_AAAA & mask]
    # the memory at these bases was never written (reads as zero): the reference cache starts at zero
    caches = {b: (np.zeros_like(tb.k), np.zeros_like(tb.v)) for b in bases}
    p1 = min(tb.max_ctx - 1, tb.ports + 1)
    p2 = min(tb.max_ctx - 1, 3 * tb.ports + 2)
    for i, (base, pos) in enumerate([(bases[0], p1), (bases[1], p1), (bases[0], p2), (bases[1], p2)]):
        tb.k, tb.v = caches[base]
        prm = rand_params(rng)
        if i == 1:  # shifts with bit 5 set: scores * m >> s and the requantisation of tiny values
            prm.update(sm_s=rng.randrange(32, 48), out_m=(1 << 15) - 1, out_s=rng.randrange(32, 36))
        q, k, v = rand_qkv(tb, nrng)
        await tb.run_token(pos, q, k, v, base, prm)
        await tb.check_cache(base, f"base 0x{base:x} pos {pos}")
    # a layer in the last layer_bytes of the 32-bit space, past the memory's end (0xF000_0000):
    # every read and write burst gets DECERR; the kernel completes with error bits 1 and 2
    bad = (1 << 32) - tb.lay.layer_bytes
    for pos in sorted({min(tb.max_ctx - 1, tb.ports + p) for p in range(tb.ports)}):
        q, k, v = rand_qkv(tb, nrng)
        # DECERR aborts the token: no context to compare; the error code is the check
        r = await tb.run_token(pos, q, k, v, bad, rand_params(rng), update_ref=False, check=False)
        assert r["err"] == 6, f"pos {pos} past the memory end: error code {r['err']}, expected 6"
    # and a clean token afterwards is correct again
    tb.k, tb.v = caches[bases[1]]
    q, k, v = rand_qkv(tb, nrng)
    await tb.run_token(p1, q, k, v, bases[1], rand_params(rng))
    await tb.check_cache(bases[1], "after DECERR")


@cocotb.test()
async def latency(dut):
    tb = MhaTb(dut)
    await tb.start()
    rng = random.Random(tb.seed + 5)
    nrng = np.random.default_rng(tb.seed + 5)
    base = 0
    tb.k = nrng.integers(-128, 128, tb.k.shape).astype(np.int8)
    tb.v = nrng.integers(-128, 128, tb.v.shape).astype(np.int8)
    await tb.load_cache(base)
    cfg = cyc.MhaConfig(head_dim=tb.dh, heads=tb.heads, max_ctx=tb.max_ctx, ports=tb.ports)
    peak = tb.ports * BEAT
    runs = [(pos, READ_LATENCY) for pos in sorted({0, 1, tb.ports, 31, tb.max_ctx // 2, tb.max_ctx - 1}
                                                   & set(range(tb.max_ctx)))]
    runs += [(0, 40), (tb.max_ctx - 1, 40), (tb.max_ctx // 2, 1)]  # other memory latencies
    for pos, lat in runs:
        dut.cfg_read_latency_i.value = lat
        q, k, v = rand_qkv(tb, nrng)
        r = await tb.run_token(pos, q, k, v, base, rand_params(rng))
        model = cyc.cycles(cfg, pos, read_latency=lat)
        kv_bytes = cyc.kv_bytes_read(cfg, pos)
        assert r["rd_beats"] * BEAT == kv_bytes, f"pos {pos}: read {r['rd_beats'] * BEAT} bytes, expected {kv_bytes}"
        bound = cyc.memory_bound_cycles(cfg, pos)
        dut._log.info(f"pos {pos:5d} latency {lat:2d}: {r['cycles']:6d} cycles (model {model}), KV bytes read {kv_bytes}, "
                      f"{kv_bytes / r['cycles']:.1f} B/cycle = {kv_bytes / r['cycles'] / peak:.1%} of the "
                      f"{peak} B/cycle peak; memory bound {bound} cycles ({bound / r['cycles']:.1%})")
        assert r["cycles"] == model, f"pos {pos}: {r['cycles']} cycles, model says {model}"


# --------------------------------------------------------------------------------------------------
# pytest entry: one build per parameter set

PARAM_SETS = [
    {"HeadDim": 64, "Heads": 4, "MaxCtx": 256, "Ports": 4},
    {"HeadDim": 32, "Heads": 2, "MaxCtx": 64, "Ports": 2},
    {"HeadDim": 128, "Heads": 1, "MaxCtx": 16, "Ports": 1},  # one head (no overlap), one port, 4-beat rows
]


@pytest.mark.parametrize("params", PARAM_SETS, ids=lambda p: "-".join(f"{k}{v}" for k, v in p.items()))
def test_mha(params, request, capsys):
    ports = params["Ports"]
    run_name = "test_mha_" + "_".join(str(v) for v in params.values())
    # the run folder run_sim will use (same naming rule, including its COVERAGE / WAVES suffix)
    suffix = "-cov" if env_flag("COVERAGE") else ("-waves" if env_flag("WAVES") else "")
    test_dir = BUILD_ROOT / MODULE / (build_name("mha_tb_top", params) + suffix) / "run" / run_name
    test_dir.mkdir(parents=True, exist_ok=True)
    plus = []
    for p in range(ports):
        (test_dir / f"kv{p}_load.bin").write_bytes(b"")  # loaded at time 0: must exist
        plus += [f"+kv{p}_load=kv{p}_load.bin", f"+kv{p}_dump=kv{p}_dump.bin"]
    # --output-split 0: one C++ file (the wheel cannot build split models, see docs/memory_model.md)
    # vlt_public: the memory models' observation counters (obs_*_q), read by stalls_and_reset
    res = run_sim(module=MODULE, toplevel="mha_tb_top", parameters=params, plusargs=plus,
                  run_name=run_name, vlt_public=["ll_axi_mem_sim:obs_*"],
                  extra_build_args=["--output-split", "0", "-CFLAGS", "-O0"])
    # show the KV read rate at the maximum context even when the test passes
    lines = [ln.split("cocotb.mha_tb_top", 1)[-1].strip() for ln in res.log.splitlines()
             if "KV bytes read" in ln and f"pos {params['MaxCtx'] - 1:5d}" in ln]
    with capsys.disabled():
        for ln in lines:
            print(f"\n  MHA {run_name}: {ln}")
