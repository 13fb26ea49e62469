"""ll_abuf_reader: streams consecutive activation-buffer beats, exactly, under any back-pressure.

Checks: every beat equals the buffer content it was read from (random addresses and lengths, every
back-pressure pattern), last on the final beat only, done once per read, one beat per cycle when the
consumer never stalls (beats + 3 cycles from start to done), and a reset in the middle of a read
leaves the reader idle and correct for the next read.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from verif.lib.reset import start_clock
from verif.lib.runner import run_sim
from verif.lib.streams import PATTERNS, StreamSink, make_pattern

DEPTH = 64


async def _setup(dut):
    start_clock(dut.clk_i)
    dut.rst_ni.value = 0
    dut.wr_valid_i.value = 0
    dut.start_i.value = 0
    dut.out_ready_i.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    rng = random.Random(cocotb.RANDOM_SEED)
    mem = [rng.getrandbits(256) for _ in range(DEPTH)]
    for a, v in enumerate(mem):
        dut.wr_valid_i.value = 1
        dut.wr_addr_i.value = a
        dut.wr_data_i.value = v
        await RisingEdge(dut.clk_i)
    dut.wr_valid_i.value = 0
    return rng, mem


async def _read(dut, addr, beats, sink):
    dut.addr_i.value = addr
    dut.beats_i.value = beats
    dut.start_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 0
    start = sink.count
    cycles = 1
    while True:
        await ReadOnly()
        if int(dut.done_o.value):
            break
        await RisingEdge(dut.clk_i)
        cycles += 1
        assert cycles < 50 * beats + 100, "no done"
    got = [sink.items.popleft() for _ in range(sink.count - start)]
    await RisingEdge(dut.clk_i)
    return got, cycles


@cocotb.test()
async def random_reads(dut):
    rng, mem = await _setup(dut)
    for pat in [*PATTERNS, "random_30", "random_70"]:
        sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i,
                          {"data": dut.out_data_o, "last": dut.out_last_o}, backpressure=make_pattern(pat, rng))
        for _ in range(6):
            beats = rng.randint(1, 24)
            addr = rng.randint(0, DEPTH - beats)
            got, _ = await _read(dut, addr, beats, sink)
            assert [g["data"] for g in got] == mem[addr : addr + beats], f"pattern {pat}"
            assert [g["last"] for g in got] == [0] * (beats - 1) + [1]
        sink._task.cancel()
        dut.out_ready_i.value = 0
        await RisingEdge(dut.clk_i)


@cocotb.test()
async def full_rate(dut):
    _, mem = await _setup(dut)
    sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, {"data": dut.out_data_o, "last": dut.out_last_o})
    for beats in (1, 8, 40):
        got, cycles = await _read(dut, 5, beats, sink)
        assert [g["data"] for g in got] == mem[5 : 5 + beats]
        # one beat per cycle after a fixed 3-cycle latency (start register, buffer read, FIFO output)
        assert cycles == beats + 3, f"{cycles} cycles for {beats} beats"


@cocotb.test()
async def reset_mid_read(dut):
    rng, mem = await _setup(dut)
    sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, {"data": dut.out_data_o, "last": dut.out_last_o},
                      backpressure=make_pattern("random_50", rng), rst_n=dut.rst_ni)
    dut.addr_i.value, dut.beats_i.value, dut.start_i.value = 0, 30, 1
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 0
    await ClockCycles(dut.clk_i, 9)
    await _reset_then_read(dut, sink, mem, 10, 12)


async def _reset_then_read(dut, sink, mem, addr: int, n: int) -> None:
    """Reset in the middle of a read: the reader is idle with no output after it, and the next read of
    `n` beats at `addr` is exact (data, count, last on the final beat only)."""
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)
    await ReadOnly()
    assert int(dut.busy_o.value) == 0 and int(dut.out_valid_o.value) == 0
    await RisingEdge(dut.clk_i)
    sink.items.clear()
    start = sink.count
    got, _ = await _read(dut, addr, n, sink)
    assert [g["data"] for g in got] == mem[addr:addr + n] and sink.count - start == n
    assert [g["last"] for g in got] == [0] * (n - 1) + [1]


@cocotb.test()
async def max_length_read_then_reset(dut):
    """The largest length (2^LenBits - 1 beats): the first beats stream exactly, none is marked last and
    the reader stays busy; a reset ends it (reader idle), and the next read is exact."""
    rng, mem = await _setup(dut)
    sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, {"data": dut.out_data_o, "last": dut.out_last_o},
                      backpressure=make_pattern("random_30", rng), rst_n=dut.rst_ni)
    addr, n = 3, 48
    dut.addr_i.value, dut.beats_i.value, dut.start_i.value = addr, 0xFFFF, 1
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 0
    for _ in range(50 * n):
        await RisingEdge(dut.clk_i)
        if sink.count >= n:
            break
    await ReadOnly()
    got = [sink.items.popleft() for _ in range(n)]
    assert [g["data"] for g in got] == mem[addr:addr + n]
    assert all(g["last"] == 0 for g in got)
    assert int(dut.busy_o.value) == 1 and int(dut.done_o.value) == 0
    await RisingEdge(dut.clk_i)
    await _reset_then_read(dut, sink, mem, 7, 20)


def test_abuf_reader():
    run_sim(module="abuf_reader", toplevel="tb_abuf_reader", parameters={"Depth": DEPTH})
