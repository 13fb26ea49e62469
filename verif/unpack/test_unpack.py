"""ll_unpack: cocotb tests and their pytest entry (``make sim MODULE=unpack`` / ``pytest verif/unpack``).

Random packets (beats with last on the final one) go through the width converter under every idle x
back-pressure pattern pair; a model fed by the input monitor turns what the DUT accepted into the
expected output beats (down: R sub-words per input beat, low part first, last on the final sub-word
of a last beat; up: R input beats per output beat, low first, closed early and zero padded by last,
out_count_o = input beats in it) and an in-order scoreboard compares them with the output monitor.
The throughput test checks the rate and latency 1 with no stalls.
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

MODULE = "unpack"
PATTERN_NAMES = [*PATTERNS, "random_30", "random_70"]


def unpack_model(beats: list[int], in_bits: int, out_bits: int) -> list[dict[str, int]]:
    """Expected output beats of one packet of input beats (the specification of ll_unpack)."""
    out = []
    if in_bits >= out_bits:
        r = in_bits // out_bits
        for i, b in enumerate(beats):
            for k in range(r):
                out.append({"data": (b >> (k * out_bits)) & ((1 << out_bits) - 1),
                            "last": int(i == len(beats) - 1 and k == r - 1), "count": 1})
    else:
        r = out_bits // in_bits
        for g in range(0, len(beats), r):
            chunk = beats[g:g + r]
            data = 0
            for k, b in enumerate(chunk):
                data |= b << (k * in_bits)
            out.append({"data": data, "last": int(g + r >= len(beats)), "count": len(chunk)})
    return out


class UnpackTb:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.in_bits = int(dut.InBits.value)
        self.out_bits = int(dut.OutBits.value)
        self.sb = Scoreboard("unpack")
        in_bus = (dut.in_valid_i, dut.in_ready_o,
                  {"data": dut.in_data_i, "last": dut.in_last_i})
        out_bus = (dut.out_valid_o, dut.out_ready_i,
                   {"data": dut.out_data_o, "last": dut.out_last_o,
                    "count": dut.out_count_o})
        self.source = StreamSource(dut.clk_i, *in_bus, rst_n=dut.rst_ni, name="unpack.in")
        self.sink = StreamSink(dut.clk_i, *out_bus, callback=lambda item: None, rst_n=dut.rst_ni,
                               name="unpack.out")
        self.in_mon = StreamMonitor(dut.clk_i, *in_bus, callback=self._accepted, rst_n=dut.rst_ni,
                                    name="unpack.in")
        self.out_mon = StreamMonitor(dut.clk_i, *out_bus, callback=self._emitted,
                                     rst_n=dut.rst_ni, name="unpack.out")
        self._packet: list[int] = []
        self.on_packet = None
        self.in_cycles: list[int] = []
        self.out_cycles: list[int] = []

    def _accepted(self, beat: dict[str, int]) -> None:
        self.in_cycles.append(self.in_mon.cycles)
        self._packet.append(beat["data"])
        if beat["last"]:
            for item in unpack_model(self._packet, self.in_bits, self.out_bits):
                self.sb.expect(item)
            if self.on_packet:
                self.on_packet(len(self._packet))
            self._packet = []

    def _emitted(self, beat: dict[str, int]) -> None:
        self.out_cycles.append(self.out_mon.cycles)
        self.sb.got(beat)

    async def run(self, packets: list[list[int]], timeout: int = 100_000) -> None:
        target = self.out_mon.count + sum(len(unpack_model(p, self.in_bits, self.out_bits))
                                          for p in packets)
        for p in packets:
            self.source.send({"data": d, "last": int(i == len(p) - 1)} for i, d in enumerate(p))
        for _ in range(timeout):
            await RisingEdge(self.dut.clk_i)
            if self.out_mon.count >= target and self.source.idle_now:
                return
        raise AssertionError(f"unpack: not done in {timeout} cycles ({self.sb.summary()})")


async def setup(dut) -> UnpackTb:
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.out_ready_i.value = 0
    tb = UnpackTb(dut)
    await reset(dut, dut.clk_i, 3)
    await RisingEdge(dut.clk_i)
    return tb


def ratio(tb: UnpackTb) -> int:
    return max(tb.in_bits, tb.out_bits) // min(tb.in_bits, tb.out_bits)


@cocotb.test()
async def random_traffic(dut):
    """Every idle x back-pressure pattern pair, random packet lengths; exact; coverage."""
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = await setup(dut)
    r = ratio(tb)
    up = tb.out_bits > tb.in_bits
    prefix = f"{MODULE}.random_traffic"
    current = ["none", "none"]
    tail_bins = list(range(1, r + 1)) if up else [1]

    @CoverPoint(f"{prefix}.tail", xf=lambda n, p: (n - 1) % r + 1 if up else 1, bins=tail_bins)
    @CoverPoint(f"{prefix}.length", xf=lambda n, p: "one" if n == 1 else "many",
                bins=["one", "many"])
    @CoverPoint(f"{prefix}.patterns", xf=lambda n, p: p, bins=[
        f"{i}/{b}" for i in PATTERN_NAMES for b in PATTERN_NAMES])
    @CoverCross(f"{prefix}.tail_x_length", items=[f"{prefix}.tail", f"{prefix}.length"],
                ign_bins=[(t, "one") for t in tail_bins if t != 1])
    def sample_packet(n, pat):
        pass

    tb.on_packet = lambda n: sample_packet(n, "/".join(current))
    for idle in PATTERN_NAMES:
        for bp in PATTERN_NAMES:
            current[:] = [idle, bp]
            tb.source.idle = make_pattern(idle, rng)
            tb.sink.backpressure = make_pattern(bp, rng)
            lengths = [1, rng.randint(1, 3 * r + 2), r * rng.randint(1, 3) + rng.randint(1, r)]
            packets = [[rng.getrandbits(tb.in_bits) for _ in range(n)] for n in lengths]
            await tb.run(packets)
    tb.sb.check_done(min_matched=len(PATTERN_NAMES) ** 2 * 3)
    dut._log.info(f"InBits {tb.in_bits} OutBits {tb.out_bits}: {tb.sb.summary()}")
    export_func_coverage(MODULE, f"random_traffic-I{tb.in_bits}-O{tb.out_bits}", prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def throughput(dut):
    """No idle, no back-pressure: down-conversion emits one beat per cycle with no bubble between
    input beats; up-conversion accepts one beat per cycle; latency 1 in both."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    tb = await setup(dut)
    r = ratio(tb)
    n_in = 8 * r
    in0, out0 = len(tb.in_cycles), len(tb.out_cycles)
    await tb.run([[rng.getrandbits(tb.in_bits) for _ in range(n_in)]])
    await ClockCycles(dut.clk_i, 2)
    n_out = len(tb.out_cycles) - out0
    out_span = tb.out_cycles[-1] - tb.out_cycles[out0] + 1
    in_span = tb.in_cycles[-1] - tb.in_cycles[in0] + 1
    first_lat = tb.out_cycles[out0] - tb.in_cycles[in0]
    if tb.out_bits <= tb.in_bits:
        assert n_out == n_in * r
        assert out_span == n_out, f"{n_out} output beats took {out_span} cycles (bubble)"
        assert first_lat == 1, f"latency {first_lat}"
    else:
        assert n_out == n_in // r
        assert in_span == n_in, f"{n_in} input beats took {in_span} cycles"
        assert first_lat == r, f"first output {first_lat} cycles after the first input, expected {r}"
    dut._log.info(f"InBits {tb.in_bits} OutBits {tb.out_bits}: {n_in} input beats in {in_span} "
                  f"cycles, {n_out} output beats in {out_span} cycles, first output after "
                  f"{first_lat} cycles")
    tb.sb.check_done(min_matched=n_out)


@cocotb.test()
async def reset_in_traffic(dut):
    """Reset at a random cycle in the middle of stalled traffic, then clean packets: they must
    come out exact (no state survives the reset)."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    tb = await setup(dut)
    r = ratio(tb)
    for trial in range(8):
        tb.source.idle = make_pattern("random_30", rng)
        tb.sink.backpressure = make_pattern("random_50", rng)
        for _ in range(3):
            n = rng.randint(1, 3 * r + 1)
            tb.source.send({"data": rng.getrandbits(tb.in_bits), "last": int(i == n - 1)}
                           for i in range(n))
        await ClockCycles(dut.clk_i, rng.randint(2, 40))
        dut.rst_ni.value = 0
        tb.source.clear()
        tb.sb.flush()
        tb._packet = []
        await ClockCycles(dut.clk_i, 2)
        dut.rst_ni.value = 1
        await RisingEdge(dut.clk_i)
        before = tb.sb.matched
        await tb.run([[rng.getrandbits(tb.in_bits) for _ in range(rng.randint(1, 3 * r + 1))]
                      for _ in range(3)])
        assert tb.sb.matched > before
    tb.sb.check_done(min_matched=8)
    dut._log.info(f"reset in traffic: {tb.sb.summary()}")


@pytest.mark.parametrize("in_bits,out_bits", [(256, 32), (256, 128), (256, 256), (256, 512),
                                              (32, 256)])
def test_unpack(in_bits: int, out_bits: int) -> None:
    from verif.lib.runner import run_sim

    run_sim(module=MODULE, toplevel="ll_unpack",
            parameters={"InBits": in_bits, "OutBits": out_bits})
