"""ll_requant (dyadic requantisation, rtl/arith/ll_requant.sv) against refmodel.intops.requant.

Every shift 0..63 against edge multipliers (0, 1, 2**15-1, powers of two) and edge inputs (min, max,
0, +-1, values near rounding ties), plus random operands, with a random en_i pattern (the pipeline
must hold while disabled) and random valid_i. Output beats are taken in order whenever valid_o is
high on an enabled edge.
"""

from __future__ import annotations

import os
import random

import cocotb
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from refmodel import intops
from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim
from verif.lib.scoreboard import Scoreboard


def operand_set(in_bits: int, rng: random.Random) -> list[tuple[int, int, int]]:
    xmin, xmax = -(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1
    xs = [xmin, xmin + 1, -1, 0, 1, xmax, xmax - 1, 3, -3, 1 << 20, -(1 << 20) - 1]
    ms = [0, 1, 2, intops.M_MAX, 1 << 14, (1 << 14) + 1, 12345]
    ops = [(x, m, s) for s in range(64) for m in ms for x in xs]
    # rounding ties: x*m == k*2**s + 2**(s-1) exactly (half toward +infinity), both signs
    for s in range(1, 40):
        for k in (-3, -1, 0, 2):
            v = k * (1 << s) + (1 << (s - 1))
            ops += [(t, 1, s) for t in (v - 1, v, v + 1) if xmin <= t <= xmax]
    ops += [(rng.randint(xmin, xmax), rng.randint(0, intops.M_MAX), rng.randint(0, 63))
            for _ in range(3000)]
    rng.shuffle(ops)
    return ops


@cocotb.test()
async def requant_vs_reference(dut):
    in_bits, out_bits = len(dut.x_i), len(dut.y_o)
    rng = random.Random(int(os.environ["SEED"]))
    start_clock(dut.clk_i)
    dut.en_i.value = 0; dut.valid_i.value = 0; dut.x_i.value = 0; dut.m_i.value = 0; dut.s_i.value = 0
    await reset(dut, dut.clk_i)
    sb = Scoreboard("requant", fail_fast=False)
    inflight: list[tuple[int, int, int]] = []
    bad: list[str] = []
    ops = operand_set(in_bits, rng)
    pending = list(ops)
    cur = None
    while pending or cur is not None or sb.lost:
        await RisingEdge(dut.clk_i)
        en = rng.random() < 0.7
        if cur is None and pending and rng.random() < 0.8:
            cur = pending.pop()
        dut.en_i.value = int(en)
        dut.valid_i.value = int(cur is not None)
        if cur is not None:
            dut.x_i.value = cur[0]; dut.m_i.value = cur[1]; dut.s_i.value = cur[2]
        await ReadOnly()
        if en:
            if dut.valid_o.value == 1:
                x, m, s = inflight.pop(0)
                got = dut.y_o.value.to_signed()
                exp = int(intops.requant(x, m, s, out_bits))
                if got != exp and len(bad) < 10:
                    bad.append(f"x={x} m={m} s={s}: got {got}, expected {exp}")
                sb.got(got)
            if cur is not None:
                sb.expect(int(intops.requant(cur[0], cur[1], cur[2], out_bits)))
                inflight.append(cur)
                cur = None
        assert sb.n_expected - sb.n_got <= 2, "more than two beats in a two-stage pipeline"
    await ClockCycles(dut.clk_i, 2)
    dut._log.info("%s", sb.summary())
    if bad:
        dut._log.error("first mismatches:\n  %s", "\n  ".join(bad))
    sb.check_done(min_matched=len(ops))
    dut._log.info("%s", sb.summary())


@pytest.mark.parametrize("in_bits,out_bits", [(32, 8), (32, 24), (24, 8)])
def test_requant(in_bits, out_bits):
    run_sim(module="requant", toplevel="ll_requant",
            parameters={"InBits": in_bits, "OutBits": out_bits})
