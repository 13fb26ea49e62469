"""ll_isqrt: bit-serial restoring integer square root against refmodel.intops.isqrt.

Exhaustive on small widths (odd and even), edges and random values of the 72-bit LayerNorm width,
random idle cycles on the operand stream and back-pressure on the result stream, the exact latency
(result valid ceil(InBits/2) cycles after the operand is accepted) and reset in the middle of a computation.
"""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from refmodel.intops import isqrt
from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim
from verif.lib.scoreboard import Scoreboard
from verif.lib.streams import StreamMonitor, StreamSink, StreamSource, make_pattern


def in_bits(dut) -> int:
    return len(dut.x_i)


def operands(width: int, rng: random.Random) -> list[int]:
    if width <= 12:
        vals = list(range(1 << width))
        rng.shuffle(vals)
        return vals
    top = (1 << width) - 1
    vals = {0, 1, 2, 3, 4, top, top - 1, 1 << (width - 1), (1 << (width - 1)) - 1}
    for k in range(1, width // 2 + 1):  # perfect squares and their neighbours up to the top
        r = (1 << k) - 1
        vals |= {r * r, r * r - 1, r * r + 1, (r + 1) ** 2 - 1}
    vals = {v for v in vals if 0 <= v <= top}
    vals = sorted(vals) + [rng.getrandbits(width) for _ in range(300)]
    return vals + [rng.getrandbits(rng.randint(1, width)) for _ in range(200)]


async def run_stream(dut, vals, idle, bp) -> int:
    width = in_bits(dut)
    sb = Scoreboard("isqrt")
    StreamMonitor(dut.clk_i, dut.in_valid_i, dut.in_ready_o, dut.x_i, rst_n=dut.rst_ni,
                  callback=lambda x: sb.expect(isqrt(x)))
    StreamMonitor(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.root_o, rst_n=dut.rst_ni,
                  callback=sb.got)
    src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o, dut.x_i, idle=idle, rst_n=dut.rst_ni)
    sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.root_o, backpressure=bp,
                      rst_n=dut.rst_ni)
    assert all(0 <= v < (1 << width) for v in vals)
    src.send(vals)
    await src.wait_done()
    await sink.wait_count(len(vals))
    await ClockCycles(dut.clk_i, 2)
    sb.check_done(min_matched=len(vals))
    src.stop(); sink.stop()
    return sb.matched


@cocotb.test()
async def exhaustive_or_edges(dut):
    """Every operand (small widths) or edges + random (wide); no stalls."""
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0; dut.out_ready_i.value = 0
    await reset(dut, dut.clk_i)
    rng = random.Random(int(os.environ["SEED"]))
    n = await run_stream(dut, operands(in_bits(dut), rng), None, None)
    dut._log.info("checked %d operands", n)


@cocotb.test()
async def stalls(dut):
    """Random idle cycles on the operand stream, random back-pressure on the result."""
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0; dut.out_ready_i.value = 0
    await reset(dut, dut.clk_i)
    rng = random.Random(int(os.environ["SEED"]) + 1)
    w = in_bits(dut)
    vals = [rng.getrandbits(w) for _ in range(150)] + [(1 << w) - 1, 0]
    await run_stream(dut, vals, make_pattern("random_40", rng), make_pattern("random_50", rng))


@cocotb.test()
async def latency_and_reset(dut):
    """Result valid exactly ceil(InBits/2) cycles after the operand is accepted; reset mid-way."""
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0; dut.out_ready_i.value = 1
    await reset(dut, dut.clk_i)
    w = in_bits(dut)
    steps = (w + 1) // 2
    x = (1 << w) - 1
    # reset in the middle of a computation, then the same operand again: same answer, same latency
    for attempt in range(2):
        await RisingEdge(dut.clk_i)
        dut.x_i.value = x; dut.in_valid_i.value = 1
        await ReadOnly()
        assert dut.in_ready_o.value == 1, "ll_isqrt not ready when idle"
        await RisingEdge(dut.clk_i)
        dut.in_valid_i.value = 0
        if attempt == 0:
            await ClockCycles(dut.clk_i, steps // 2)
            await reset(dut, dut.clk_i, 2)
            await ReadOnly()
            assert dut.out_valid_o.value == 0 and dut.in_ready_o.value == 1, "reset did not abort"
            continue
        cycles = 0
        while True:
            await ReadOnly()
            if dut.out_valid_o.value == 1:
                break
            await RisingEdge(dut.clk_i)
            cycles += 1
        got = int(dut.root_o.value)
        assert got == isqrt(x), f"root {got} != {isqrt(x)}"
        assert cycles == steps, f"latency {cycles} cycles, model says {steps}"


@pytest.mark.parametrize("width", [7, 8, 12, 72])
def test_isqrt(width):
    run_sim(module="isqrt", toplevel="ll_isqrt", parameters={"InBits": width})
