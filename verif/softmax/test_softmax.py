"""ll_mha_softmax: the integer softmax core of the MHA kernel (``make sim MODULE=softmax``).

Every exponential e, the sum, inv = floor(2**46 / sum) and the probabilities formed from them
(p = (e * inv + 2**30) >> 31, what the P.V lanes compute) are compared with refmodel/intops.py:
  - a sweep of the whole exponent range (every EXP_LUT entry, every shift 0..31 and beyond);
  - random softmaxes of 1..300 scores with random (m, s) over their whole ranges, random idle
    cycles between beats, and the corner cases: one score, all equal, the maximum first / last,
    the extreme int32 score range with the largest multiplier.
"""

from __future__ import annotations

import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverPoint

from refmodel import intops
from verif.lib.bits import pack_lanes, unpack_lanes
from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim

MODULE = "softmax"
CASES = ["single", "all_equal", "max_first", "max_last", "extreme_range", "random"]


def expected(scores: np.ndarray, m: int, s: int) -> tuple[np.ndarray, int, int, np.ndarray]:
    """(e, sum, inv, p) per intops.softmax_int."""
    sc = np.asarray(scores, dtype=np.int64)
    v = intops.rshift_round((sc - sc.max()) * np.int64(m), s)
    e = intops.exp2_neg(v)
    total = int(e.sum())
    inv = (1 << intops.SOFTMAX_INV_BITS) // total
    p = intops.softmax_int(sc, m, s)
    return e, total, inv, p


async def run_softmax(dut, scores, m, s, rng: random.Random, idle_p: float) -> None:
    """Drive one softmax through the core and check e, sum, inv and p."""
    lanes = int(dut.Lanes.value)
    scores = np.asarray(scores, dtype=np.int64)
    n = len(scores)
    e_exp, sum_exp, inv_exp, p_exp = expected(scores, m, s)
    nbeats = (n + lanes - 1) // lanes
    got_e = np.full(nbeats * lanes, -1, dtype=np.int64)
    done = {"seen": False}

    async def monitor():
        while True:
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            if int(dut.e_valid_o.value):
                tag = int(dut.e_tag_o.value)
                mask = int(dut.e_mask_o.value)
                vals = unpack_lanes(int(dut.e_o.value), lanes, 17, signed=False)
                for l in range(lanes):
                    if mask >> l & 1:
                        got_e[tag * lanes + l] = int(vals[l])
                    else:
                        assert int(vals[l]) == 0, "masked lane must give 0"
            if int(dut.done_o.value):
                done["seen"] = True
                return

    mon = cocotb.start_soon(monitor())
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 1
    dut.mx_i.value = int(scores.max()) & 0xFFFFFFFF
    dut.m_i.value = m
    dut.s_i.value = s
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 0
    for b in range(nbeats):
        while rng.random() < idle_p:
            dut.in_valid_i.value = 0
            await RisingEdge(dut.clk_i)
        chunk = [int(x) for x in scores[b * lanes:(b + 1) * lanes]]
        mask = (1 << len(chunk)) - 1
        chunk += [0] * (lanes - len(chunk))
        # masked lanes carry junk that must not count: use the max itself (never above it)
        chunk = [c if (mask >> i) & 1 else int(scores.max()) for i, c in enumerate(chunk)]
        dut.in_valid_i.value = 1
        dut.in_score_i.value = pack_lanes(chunk, 32)
        dut.in_mask_i.value = mask
        dut.in_tag_i.value = b
        dut.in_last_i.value = int(b == nbeats - 1)
        await RisingEdge(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.in_last_i.value = 0
    for _ in range(200):
        if done["seen"]:
            break
        await RisingEdge(dut.clk_i)
    assert done["seen"], "done_o never fired"
    await mon
    await ReadOnly()
    got_sum = int(dut.sum_o.value)
    got_inv = int(dut.inv_o.value)
    assert np.array_equal(got_e[:n], e_exp), (
        f"e mismatch at {np.flatnonzero(got_e[:n] != e_exp)[:5]} (m={m} s={s} n={n})")
    assert got_sum == sum_exp, f"sum {got_sum} != {sum_exp}"
    assert got_inv == inv_exp, f"inv {got_inv} != {inv_exp}"
    p_got = (got_e[:n] * got_inv + (1 << 30)) >> 31
    assert np.array_equal(p_got, p_exp)
    assert int(dut.busy_o.value) == 0
    await RisingEdge(dut.clk_i)


async def setup(dut):
    start_clock(dut.clk_i)
    for sig in (dut.start_i, dut.in_valid_i, dut.in_last_i, dut.in_score_i, dut.in_mask_i, dut.in_tag_i,
                dut.mx_i, dut.m_i, dut.s_i):
        sig.value = 0
    await reset(dut, dut.clk_i)


@cocotb.test()
async def exponent_sweep(dut):
    """m = 1, s = 0: the exponent is minus the score difference; sweep n = 0..8400 in one softmax
    (every LUT entry with every shift 0..31, then the flushed-to-zero range)."""
    await setup(dut)
    rng = random.Random(int(os.environ["SEED"]))
    n = np.arange(0, 8400, dtype=np.int64)
    await run_softmax(dut, 1000 - n, 1, 0, rng, 0.0)
    # and the same sweep through a rounding shift: (d * 3 + 2) >> 2
    await run_softmax(dut, -(n[::7]) * 5, 3, 2, rng, 0.2)


@cocotb.test()
async def corner_and_random(dut):
    await setup(dut)
    rng = random.Random(int(os.environ["SEED"]) + 1)
    nrng = np.random.default_rng(int(os.environ["SEED"]))
    prefix = f"{MODULE}.corner_and_random"

    @CoverPoint(f"{prefix}.case", xf=lambda c, n, s: c, bins=CASES)
    @CoverPoint(f"{prefix}.len", xf=lambda c, n, s: "1" if n == 1 else ("short" if n <= 8 else "long"),
                bins=["1", "short", "long"])
    @CoverPoint(f"{prefix}.shift", xf=lambda c, n, s: "0" if s == 0 else ("mid" if s < 40 else "high"),
                bins=["0", "mid", "high"])
    def sample(case, n, s):
        pass

    for it in range(60):
        case = CASES[it % len(CASES)]
        n = rng.choice([1, 2, 3, 5, 8, 13, 64, 129, 300])
        m = rng.choice([0, 1, rng.randrange(1 << 15), (1 << 15) - 1])
        s = rng.choice([0, rng.randrange(1, 40), rng.randrange(40, 64)])
        if case == "single":
            n = 1
            sc = nrng.integers(-2**31, 2**31, 1)
        elif case == "all_equal":
            sc = np.full(n, nrng.integers(-2**31, 2**31))
        elif case == "max_first":
            sc = nrng.integers(-5000, 5000, n)
            sc[0] = 5000
        elif case == "max_last":
            sc = nrng.integers(-5000, 5000, n)
            sc[-1] = 5000
        elif case == "extreme_range":
            n = max(n, 2)
            sc = nrng.integers(-2**31, 2**31, n)
            sc[rng.randrange(n)] = 2**31 - 1
            sc[rng.randrange(n)] = -2**31
            m, s = (1 << 15) - 1, rng.choice([0, 8, 20])
        else:
            span = rng.choice([10, 1000, 100000, 2**31 - 1])
            sc = nrng.integers(-span, span, n)
        sample(case, n, s)
        await run_softmax(dut, sc, m, s, rng, rng.choice([0.0, 0.3]))
    export_func_coverage(MODULE, f"corner_and_random-L{int(dut.Lanes.value)}", prefix=prefix)
    assert_all_bins_hit(prefix)


@pytest.mark.parametrize("lanes", [4, 8, 1])
def test_softmax(lanes):
    run_sim(module=MODULE, toplevel="ll_mha_softmax", parameters={"Lanes": lanes, "TagBits": 14})
