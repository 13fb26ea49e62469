"""ll_div: sequential restoring divider against Python integer division.

Exhaustive on small widths (every dividend x every divisor, zero included), edges and random operands
of the LayerNorm widths (2**48 / std_d), division by zero (quotient all ones, remainder 0, flag),
random idle cycles and back-pressure, the exact latency (ABits cycles) and reset mid-division.
"""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim
from verif.lib.scoreboard import Scoreboard
from verif.lib.streams import StreamMonitor, StreamSink, StreamSource, make_pattern


def widths(dut) -> tuple[int, int]:
    return len(dut.a_i), len(dut.b_i)


def model(a: int, b: int, abits: int) -> dict[str, int]:
    """Reference: floor division; by zero: all-ones quotient, zero remainder, flag set."""
    if b == 0:
        return {"q": (1 << abits) - 1, "r": 0, "dz": 1}
    return {"q": a // b, "r": a % b, "dz": 0}


def operands(abits: int, bbits: int, rng: random.Random) -> list[dict[str, int]]:
    if abits + bbits <= 10:
        ops = [{"a": a, "b": b} for a in range(1 << abits) for b in range(1 << bbits)]
        rng.shuffle(ops)
        return ops
    amax, bmax = (1 << abits) - 1, (1 << bbits) - 1
    edge_a = [0, 1, 2, amax, amax - 1, 1 << (abits - 1), 1 << min(48, abits - 1)]
    edge_b = [0, 1, 2, 3, bmax, bmax - 1, 1 << (bbits - 1), (1 << (bbits - 1)) + 1]
    ops = [{"a": a, "b": b} for a in edge_a for b in edge_b]
    ops += [{"a": rng.getrandbits(abits), "b": rng.getrandbits(rng.randint(1, bbits))}
            for _ in range(300)]
    return ops


async def run_stream(dut, ops, idle, bp) -> int:
    abits, _ = widths(dut)
    sb = Scoreboard("div")
    data_in = {"a": dut.a_i, "b": dut.b_i}
    data_out = {"q": dut.q_o, "r": dut.r_o}
    StreamMonitor(dut.clk_i, dut.in_valid_i, dut.in_ready_o, data_in, rst_n=dut.rst_ni,
                  callback=lambda t: sb.expect(model(t["a"], t["b"], abits)))
    # the 1-bit flag is read beside the monitored fields in the same ReadOnly phase of the handshake
    # (verif.lib.streams reads every field with to_unsigned(), which a 1-bit cocotb Logic lacks)
    StreamMonitor(dut.clk_i, dut.out_valid_o, dut.out_ready_i, data_out, rst_n=dut.rst_ni,
                  callback=lambda t: sb.got({**t, "dz": int(dut.div_zero_o.value)}))
    src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o, data_in, idle=idle,
                       rst_n=dut.rst_ni)
    sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, data_out, backpressure=bp,
                      rst_n=dut.rst_ni)
    src.send(ops)
    await src.wait_done()
    await sink.wait_count(len(ops))
    await ClockCycles(dut.clk_i, 2)
    sb.check_done(min_matched=len(ops))
    src.stop(); sink.stop()
    return sb.matched


async def setup(dut, ready: int = 0) -> None:
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.out_ready_i.value = ready
    await reset(dut, dut.clk_i)


@cocotb.test()
async def exhaustive_or_edges(dut):
    """Every operand pair (small widths) or edges + random (wide), division by zero included."""
    await setup(dut)
    rng = random.Random(int(os.environ["SEED"]))
    a, b = widths(dut)
    ops = operands(a, b, rng)
    assert any(o["b"] == 0 for o in ops), "division by zero must be exercised"
    n = await run_stream(dut, ops, None, None)
    dut._log.info("checked %d divisions", n)


@cocotb.test()
async def stalls(dut):
    """Random idle cycles on the operand stream and back-pressure on the result."""
    await setup(dut)
    rng = random.Random(int(os.environ["SEED"]) + 7)
    a, b = widths(dut)
    ops = [{"a": rng.getrandbits(a), "b": rng.getrandbits(b)} for _ in range(120)]
    ops += [{"a": (1 << a) - 1, "b": 0}, {"a": 0, "b": 0}]
    await run_stream(dut, ops, make_pattern("random_40", rng), make_pattern("random_50", rng))


@cocotb.test()
async def latency_and_reset(dut):
    """Result valid exactly ABits cycles after the operands are accepted; reset mid-division."""
    await setup(dut, ready=1)
    abits, bbits = widths(dut)
    a, b = (1 << abits) - 1, (1 << (bbits - 1)) | 1
    for attempt in range(2):
        await RisingEdge(dut.clk_i)
        dut.a_i.value = a; dut.b_i.value = b; dut.in_valid_i.value = 1
        await ReadOnly()
        assert dut.in_ready_o.value == 1, "ll_div not ready when idle"
        await RisingEdge(dut.clk_i)
        dut.in_valid_i.value = 0
        if attempt == 0:
            await ClockCycles(dut.clk_i, abits // 2)
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
        got = {"q": int(dut.q_o.value), "r": int(dut.r_o.value), "dz": int(dut.div_zero_o.value)}
        assert got == model(a, b, abits), f"{got} != {model(a, b, abits)}"
        assert cycles == abits, f"latency {cycles} cycles, model says {abits}"


@pytest.mark.parametrize("abits,bbits", [(6, 4), (5, 5), (49, 36), (64, 64)])
def test_div(abits, bbits):
    run_sim(module="div", toplevel="ll_div", parameters={"ABits": abits, "BBits": bbits})
