"""ll_pack: cocotb tests and their pytest entry (``make sim MODULE=pack`` / ``pytest verif/pack``).

Vectors of random length in both modes are cut into MP-style result beats (NumIn lanes, a partial
mask only on the final beat), driven under every idle x back-pressure pattern pair; a model fed by
the input monitor packs what the DUT really accepted into the expected 256-bit beats (int8: low
byte of each element, 32 per beat; int32: 8 per beat; zero padded, last and count on the final
beat) and an in-order scoreboard compares them with the output monitor. The throughput test checks
one input beat per cycle and latency 1 with no stalls (one output beat per cycle in int32 mode with
NumIn = 8).
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import ClockCycles, RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.scoreboard import Scoreboard
from verif.lib.streams import PATTERNS, StreamMonitor, StreamSink, StreamSource, make_pattern

MODULE = "pack"
BEAT_BITS = 256
PATTERN_NAMES = [*PATTERNS, "random_30", "random_70"]


def vector_beats(values: list[int], num_in: int, mode: int) -> list[dict[str, int]]:
    """MP-style input beats of one vector: num_in 32-bit lanes, prefix mask, last on the final."""
    beats = []
    for b in range(0, len(values), num_in):
        chunk = values[b:b + num_in]
        data = 0
        for lane, v in enumerate(chunk):
            data |= (v & 0xFFFF_FFFF) << (32 * lane)
        beats.append({"data": data, "mask": (1 << len(chunk)) - 1,
                      "last": int(b + num_in >= len(values)), "mode": mode})
    return beats


def pack_model(values: list[int], mode: int) -> list[dict[str, int]]:
    """The expected output beats of one vector (the specification of ll_pack)."""
    ebits = 32 if mode else 8
    epb = BEAT_BITS // ebits
    out = []
    for b in range(0, len(values), epb):
        chunk = values[b:b + epb]
        data = 0
        for k, v in enumerate(chunk):
            data |= (v & ((1 << ebits) - 1)) << (ebits * k)
        out.append({"data": data, "last": int(b + epb >= len(values)), "count": len(chunk)})
    return out


class PackTb:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.num_in = int(dut.NumIn.value)
        self.sb = Scoreboard("pack")
        in_bus = (dut.in_valid_i, dut.in_ready_o,
                  {"data": dut.in_data_i, "mask": dut.in_mask_i, "last": dut.in_last_i,
                   "mode": dut.in_mode_i})
        out_bus = (dut.out_valid_o, dut.out_ready_i,
                   {"data": dut.out_data_o, "last": dut.out_last_o, "count": dut.out_count_o})
        self.source = StreamSource(dut.clk_i, *in_bus, rst_n=dut.rst_ni, name="pack.in")
        self.sink = StreamSink(dut.clk_i, *out_bus, callback=lambda item: None, rst_n=dut.rst_ni,
                               name="pack.out")
        self.in_mon = StreamMonitor(dut.clk_i, *in_bus, callback=self._accepted, rst_n=dut.rst_ni,
                                    name="pack.in")
        self.out_mon = StreamMonitor(dut.clk_i, *out_bus, callback=self._emitted, rst_n=dut.rst_ni,
                                     name="pack.out")
        self.out_cycles: list[int] = []  # monitor cycle of every output beat
        self._elems: list[int] = []
        self.on_vector = None
        self.in_cycles: list[int] = []   # monitor cycle of every accepted input beat

    def _accepted(self, beat: dict[str, int]) -> None:
        """Input monitor -> model: unpack the accepted lanes; at last, expect the packed beats."""
        self.in_cycles.append(self.in_mon.cycles)
        for lane in range(self.num_in):
            if (beat["mask"] >> lane) & 1:
                self._elems.append((beat["data"] >> (32 * lane)) & 0xFFFF_FFFF)
        if beat["last"]:
            for item in pack_model(self._elems, beat["mode"]):
                self.sb.expect(item)
            if self.on_vector:
                self.on_vector(beat["mode"], len(self._elems))
            self._elems = []

    def _emitted(self, beat: dict[str, int]) -> None:
        self.out_cycles.append(self.out_mon.cycles)
        self.sb.got(beat)

    async def run(self, vectors: list[tuple[list[int], int]], timeout: int = 100_000) -> None:
        target = self.out_mon.count + sum(len(pack_model(v, m)) for v, m in vectors)
        for values, mode in vectors:
            self.source.send(vector_beats(values, self.num_in, mode))
        for _ in range(timeout):
            await RisingEdge(self.dut.clk_i)
            if self.out_mon.count >= target and self.source.idle_now:
                return
        raise AssertionError(f"pack: not done in {timeout} cycles ({self.sb.summary()})")


async def setup(dut) -> PackTb:
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.out_ready_i.value = 0
    tb = PackTb(dut)
    await reset(dut, dut.clk_i, 3)
    await RisingEdge(dut.clk_i)
    return tb


def random_vector(rng: random.Random, max_len: int = 100) -> list[int]:
    n = rng.choice([1, 2, 7, 8, 31, 32, 33, rng.randint(1, max_len)])
    return [rng.getrandbits(32) for _ in range(n)]


@cocotb.test()
async def random_traffic(dut):
    """Every idle x back-pressure pattern pair, both modes, random lengths; exact; coverage."""
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = await setup(dut)
    num_in = tb.num_in
    prefix = f"{MODULE}.random_traffic"
    current = ["none", "none"]

    @CoverPoint(f"{prefix}.mode", xf=lambda m, n, p: m, bins=[0, 1])
    @CoverPoint(f"{prefix}.last_lanes", xf=lambda m, n, p: (n - 1) % num_in + 1,
                bins=list(range(1, num_in + 1)))
    @CoverPoint(f"{prefix}.last_beat_fill", xf=lambda m, n, p: "full" if n % (8 if m else 32) == 0
                else "partial", bins=["full", "partial"])
    @CoverPoint(f"{prefix}.patterns", xf=lambda m, n, p: p, bins=[
        f"{i}/{b}" for i in PATTERN_NAMES for b in PATTERN_NAMES])
    @CoverCross(f"{prefix}.mode_x_lanes", items=[f"{prefix}.mode", f"{prefix}.last_lanes"])
    @CoverCross(f"{prefix}.mode_x_fill", items=[f"{prefix}.mode", f"{prefix}.last_beat_fill"])
    def sample_vector(mode, n, pat):
        pass

    tb.on_vector = lambda mode, n: sample_vector(mode, n, "/".join(current))
    pair = 0
    for idle in PATTERN_NAMES:
        for bp in PATTERN_NAMES:
            current[:] = [idle, bp]
            tb.source.idle = make_pattern(idle, rng)
            tb.sink.backpressure = make_pattern(bp, rng)
            vectors = [(random_vector(rng), rng.randint(0, 1)) for _ in range(4)]
            # every (mode, last-beat lane count) in turn, whatever the seed (81 pairs >= 2 x NumIn)
            k, mode = pair % num_in + 1, (pair // num_in) % 2
            vectors.append(([rng.getrandbits(32) for _ in range(num_in * rng.randint(0, 5) + k)], mode))
            pair += 1
            await tb.run(vectors)
    tb.sb.check_done(min_matched=len(PATTERN_NAMES) ** 2 * 5)
    dut._log.info(f"NumIn {num_in}: {tb.sb.summary()}")
    export_func_coverage(MODULE, f"random_traffic-N{num_in}", prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def throughput(dut):
    """No idle, no back-pressure: one input beat per cycle, first output one cycle after the first
    input, last output one cycle after the last input (latency 1, no bubble)."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    tb = await setup(dut)
    for mode in (1, 0):
        n_vec, length = 6, 64
        in0, out0 = tb.in_mon.count, tb.out_mon.count
        vectors = [([rng.getrandbits(32) for _ in range(length)], mode) for _ in range(n_vec)]
        await tb.run(vectors)
        await ClockCycles(dut.clk_i, 2)
        n_in = tb.in_mon.count - in0
        n_out = tb.out_mon.count - out0
        assert n_in == n_vec * (-(-length // tb.num_in)) and n_out == n_vec * length // (8 if mode
                                                                                      else 32)
        in_span = tb.in_cycles[-1] - tb.in_cycles[in0] + 1
        assert in_span == n_in, f"mode {mode}: {n_in} input beats took {in_span} cycles"
        assert tb.out_mon.last_beat_cycle == tb.in_mon.last_beat_cycle + 1, "latency is not 1"
        assert tb.out_cycles[out0] == tb.in_cycles[in0] + (8 if mode else 32) // tb.num_in, (
            "first output beat not 1 cycle after the input beat completing it")
        if mode == 1 and tb.num_in == 8:  # every input beat completes an output beat
            out_span = tb.out_cycles[-1] - tb.out_cycles[out0] + 1
            assert out_span == n_out, f"{n_out} output beats took {out_span} cycles (bubble)"
        dut._log.info(f"mode {'int32' if mode else 'int8'}, NumIn {tb.num_in}: {n_in} input beats "
                      f"in {in_span} cycles, {n_out} output beats, last output 1 cycle after the "
                      f"last input")
    tb.sb.check_done(min_matched=1)


@cocotb.test()
async def reset_in_traffic(dut):
    """Reset at a random cycle in the middle of stalled traffic (partial output beat held, output
    waiting), then clean vectors: they must come out exact (no state survives the reset)."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    tb = await setup(dut)
    for trial in range(8):
        tb.source.idle = make_pattern("random_30", rng)
        tb.sink.backpressure = make_pattern("random_50", rng)
        tb.source.send(b for v, m in [(random_vector(rng), rng.randint(0, 1)) for _ in range(3)]
                       for b in vector_beats(v, tb.num_in, m))
        await ClockCycles(dut.clk_i, rng.randint(2, 40))
        dut.rst_ni.value = 0
        tb.source.clear()
        tb.sb.flush()
        tb._elems = []
        await ClockCycles(dut.clk_i, 2)
        dut.rst_ni.value = 1
        await RisingEdge(dut.clk_i)
        before = tb.sb.matched
        await tb.run([(random_vector(rng), rng.randint(0, 1)) for _ in range(3)])
        assert tb.sb.matched > before
    tb.sb.check_done(min_matched=8)
    dut._log.info(f"reset in traffic: {tb.sb.summary()}")


@cocotb.test()
async def bad_mask(dut):
    """Illegal input (a hole in the lane mask): the MaskPrefix assertion must stop the simulation
    (run only by test_pack_bad_input, which expects that failure)."""
    tb = await setup(dut)
    beats = vector_beats([1, 2, 3, 4], tb.num_in, 1)
    beats[0]["mask"] = 0b10 if tb.num_in > 1 else 0
    tb.source.send(beats)
    await ClockCycles(dut.clk_i, 20)


GOOD_TESTS = ["random_traffic", "throughput", "reset_in_traffic"]


@pytest.mark.parametrize("num_in", [8, 4, 1])
def test_pack(num_in: int) -> None:
    from verif.lib.runner import run_sim

    run_sim(module=MODULE, toplevel="ll_pack", parameters={"NumIn": num_in}, testcase=GOOD_TESTS)


def test_pack_bad_input() -> None:
    """A mask with a hole fires the RTL assertion with a clear message (the run must fail)."""
    from verif.lib.runner import run_sim

    res = run_sim(module=MODULE, toplevel="ll_pack", parameters={"NumIn": 4}, testcase=["bad_mask"],
                  expect_failure=True)
    assert not res.ok, "an illegal mask was accepted silently"
    assert "Assertion failed in ll_pack.MaskPrefix" in res.log, (
        "the failure is not the MaskPrefix assertion")
