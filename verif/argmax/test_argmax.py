"""ll_argmax (streaming argmax, ties to the lowest index) and ll_argmax_reduce (the combination rule
the ring reuses) against refmodel.intops.argmax_int / argmax_reduce.

Vectors are built from the beats the input monitor saw accepted (value, keep, base index), so the
model checks what the DUT really consumed.
"""

from __future__ import annotations

import itertools
import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge, Timer
from cocotb_coverage.coverage import CoverPoint, coverage_section

from refmodel import intops
from refmodel.cyclemodel.lnr import argmax_cycles
from verif.lib.bits import pack_lanes, to_signed, unpack_lanes
from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim
from verif.lib.scoreboard import Scoreboard
from verif.lib.streams import StreamMonitor, StreamSink, StreamSource, make_pattern

COV = "argmax"


@coverage_section(
    CoverPoint(f"{COV}.vec.tie", xf=lambda k: k["tie"], bins=[True, False]),
    CoverPoint(f"{COV}.vec.where", xf=lambda k: k["where"], bins=["first", "middle", "last"]),
    CoverPoint(f"{COV}.vec.masked_tail", xf=lambda k: k["masked"], bins=[True, False]),
    CoverPoint(f"{COV}.vec.extreme", xf=lambda k: k["extreme"], bins=["max", "min", "none"]),
    CoverPoint(f"{COV}.vec.empty", xf=lambda k: k["empty"], bins=[True, False]),
)
def sample_vec(k: dict) -> None:
    pass


class ArgmaxTb:
    def __init__(self, dut, idle=None, bp=None):
        self.dut = dut
        self.lanes = len(dut.in_keep_i)
        self.vbits = len(dut.out_val_o)
        self.sb = Scoreboard("argmax")
        self.beats: list[dict] = []
        data_in = {"data": dut.in_data_i, "keep": dut.in_keep_i, "idx": dut.in_idx_i}
        data_out = {"val": dut.out_val_o, "idx": dut.out_idx_o}
        # 1-bit fields (last, empty) are read beside the monitored ones in the same ReadOnly phase
        self.mon_in = StreamMonitor(dut.clk_i, dut.in_valid_i, dut.in_ready_o, data_in,
                                    rst_n=dut.rst_ni, callback=self._on_in, name="in")
        self.mon_out = StreamMonitor(dut.clk_i, dut.out_valid_o, dut.out_ready_i, data_out,
                                     rst_n=dut.rst_ni, callback=self._on_out, name="out")
        self.src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o,
                                {**data_in, "last": dut.in_last_i}, idle=idle, rst_n=dut.rst_ni)
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, data_out,
                               backpressure=bp, rst_n=dut.rst_ni)

    def _on_in(self, beat):
        self.beats.append({**beat, "last": int(self.dut.in_last_i.value)})
        if self.beats[-1]["last"]:
            vals, idxs = [], []
            for b in self.beats:
                v = unpack_lanes(b["data"], self.lanes, self.vbits)
                for j in range(self.lanes):
                    if (b["keep"] >> j) & 1:
                        vals.append(int(v[j])); idxs.append(b["idx"] + j)
            self.beats = []
            if not vals:
                self.sb.expect({"val": -(1 << (self.vbits - 1)), "idx": 0, "empty": 1})
                return
            best = (vals[0], idxs[0])
            for p in zip(vals[1:], idxs[1:]):
                best = intops.argmax_reduce(best, p)
            # cross-check the pairwise reduction with argmax_int on contiguous index vectors
            if idxs == list(range(idxs[0], idxs[0] + len(idxs))):
                v, i = intops.argmax_int(np.array(vals, dtype=np.int64))
                assert (v, i + idxs[0]) == best
            self.sb.expect({"val": best[0], "idx": best[1], "empty": 0})

    def _on_out(self, item):
        self.sb.got({"val": to_signed(item["val"], self.vbits), "idx": item["idx"],
                     "empty": int(self.dut.out_empty_o.value)})

    def send_vector(self, vals, base: int = 0, keep_tail: bool = True, idx_of_beat=None):
        """Queue one vector; the last beat keeps only the lanes that exist."""
        lanes = self.lanes
        n = len(vals)
        nb = (n + lanes - 1) // lanes
        for k in range(nb):
            chunk = list(vals[k * lanes:(k + 1) * lanes])
            keep = (1 << len(chunk)) - 1
            chunk += [0] * (lanes - len(chunk))
            idx = base + k * lanes if idx_of_beat is None else idx_of_beat(k)
            self.src.send_nowait({"data": pack_lanes(np.array(chunk, dtype=np.int64), self.vbits),
                                  "keep": keep, "idx": idx, "last": int(k == nb - 1)})
        vmax, vmin = (1 << (self.vbits - 1)) - 1, -(1 << (self.vbits - 1))
        m = max(vals)
        pos = vals.index(m)
        sample_vec({"tie": vals.count(m) > 1, "masked": n % lanes != 0, "empty": False,
                    "where": "first" if pos == 0 else "last" if pos == n - 1 else "middle",
                    "extreme": "max" if m == vmax else "min" if m == vmin else "none"})

    async def finish(self, n: int):
        await self.src.wait_done()
        await self.sink.wait_count(n)
        await ClockCycles(self.dut.clk_i, 3)
        self.sb.check_done(min_matched=n)

    def stop(self):
        for m in (self.mon_in, self.mon_out, self.src, self.sink):
            m.stop()


async def setup(dut, **kw) -> ArgmaxTb:
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.out_ready_i.value = 0
    tb = ArgmaxTb(dut, **kw)
    await reset(dut, dut.clk_i)
    return tb


def rng_of(extra: int) -> random.Random:
    return random.Random(int(os.environ["SEED"]) * 100 + extra)


def vectors(rng: random.Random, vbits: int, lanes: int) -> list[list[int]]:
    vmax, vmin = (1 << (vbits - 1)) - 1, -(1 << (vbits - 1))
    r24 = min(vbits, 24)
    out = []
    for n in (1, 2, lanes, lanes + 1, 3 * lanes - 1, 257, 1000):
        out.append([rng.randint(-(1 << (r24 - 1)), (1 << (r24 - 1)) - 1) for _ in range(n)])
    out.append([rng.randint(-3, 3) for _ in range(200)])  # many ties
    out.append([7] * 50)                                   # all equal: index of the first
    out.append([vmin] * 17)                                # all minimum
    out.append([vmin] * 30 + [vmax] + [vmax] * 3)          # maximum, tied, at the end
    out.append([vmax] + [rng.randint(vmin, vmax) for _ in range(40)] + [vmax])
    v = [rng.randint(-100, 100) for _ in range(64)]
    v[-1] = 1000
    out.append(v)                                          # maximum in the last lane
    v = [rng.randint(-100, 100) for _ in range(64)]
    v[37] = 500; v[38] = 500
    out.append(v)                                          # tie inside one beat
    return out


@cocotb.test()
async def random_and_ties(dut):
    """Random logits, ties (inside a beat and across beats), extremes, masked tails, one element."""
    tb = await setup(dut)
    rng = rng_of(1)
    vecs = vectors(rng, tb.vbits, tb.lanes)
    for v in vecs:
        tb.send_vector(v, base=rng.choice([0, 0, 1000]))
    # base indices high in the 32-bit index space (a node's rows of a large vocabulary, or any
    # caller's offset), alternating bit patterns, then back to 0: every index bit toggles both ways
    high = [0xFFFF_FF00, 0x5555_5540, 0xAAAA_AA80, 0x7FFF_FF00, 0]
    for base in high:
        tb.send_vector([rng.randint(-1000, 1000) for _ in range(3 * tb.lanes + 1)], base=base)
    await tb.finish(len(vecs) + len(high))
    tb.stop()


@cocotb.test()
async def vocab_and_global_indices(dut):
    """A GPT-2 vocabulary (50257) split as on 4 nodes: each slice with its own global base index,
    the partial results combined with argmax_reduce (the ring's rule) match argmax_int of the whole."""
    tb = await setup(dut)
    rng = rng_of(2)
    nrng = np.random.default_rng(rng.getrandbits(32))
    vocab = 50257
    logits = nrng.integers(-(1 << 20), 1 << 20, vocab)
    logits[rng.randrange(vocab)] = 1 << 21
    logits[rng.randrange(vocab)] = 1 << 21  # a tie across slices (usually)
    bounds = np.linspace(0, vocab, 5).astype(int)
    for a, b in zip(bounds[:-1], bounds[1:]):
        tb.send_vector([int(x) for x in logits[a:b]], base=int(a))
    await tb.src.wait_done()
    await tb.sink.wait_count(4)
    await ClockCycles(dut.clk_i, 3)
    parts = [tb.sink.items.popleft() for _ in range(4)]
    best = None
    for p in parts:
        pair = (to_signed(p["val"], tb.vbits), p["idx"])
        best = pair if best is None else intops.argmax_reduce(best, pair)
    assert best == intops.argmax_int(logits), f"ring-combined {best} != {intops.argmax_int(logits)}"
    tb.sb.check_done(min_matched=4)
    tb.stop()


@cocotb.test()
async def stalls_and_empty(dut):
    """Random idle cycles and back-pressure: identical results; a vector with no kept lane reports
    empty; non-contiguous beat indices (rows spread round-robin over processing elements)."""
    rng = rng_of(3)
    tb = await setup(dut, idle=make_pattern("random_40", rng), bp=make_pattern("random_50", rng))
    vecs = vectors(rng, tb.vbits, tb.lanes)
    for v in vecs:
        tb.send_vector(v)
    # round-robin indices: beat k holds rows 1000*k .. 1000*k + lanes - 1
    tb.send_vector([rng.randint(-50, 50) for _ in range(5 * tb.lanes)], idx_of_beat=lambda k: 1000 * k)
    tb.src.send_nowait({"data": 0, "keep": 0, "idx": 5, "last": 1})  # nothing kept
    sample_vec({"tie": False, "masked": True, "empty": True, "where": "first", "extreme": "none"})
    await tb.finish(len(vecs) + 2)
    for name in ("every_other", "burst_8_2", "long_stall"):
        tb.src.idle = make_pattern(name); tb.sink.backpressure = make_pattern(name)
        tb.send_vector([rng.randint(-9, 9) for _ in range(100)])
        await tb.finish(1)
    tb.stop()


@cocotb.test()
async def reset_mid_vector_and_latency(dut):
    """Reset in the middle of a vector, then the same vector: the right answer; the result is valid
    argmax_cycles(beats) cycles after the first beat is accepted (no stalls)."""
    tb = await setup(dut)
    rng = rng_of(4)
    v = [rng.randint(-1000, 1000) for _ in range(20 * tb.lanes)]
    tb.send_vector(v)
    await ClockCycles(dut.clk_i, 7)
    dut.rst_ni.value = 0
    tb.src.clear(); tb.sb.flush(); tb.beats = []
    await ClockCycles(dut.clk_i, 2)
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)
    for nb in (1, 2, 20):
        vec = v[:nb * tb.lanes]
        tb.send_vector(vec)
        # wait for the first accepted beat, then count cycles to out_valid
        while True:
            await ReadOnly()
            if dut.in_valid_i.value == 1 and dut.in_ready_o.value == 1:
                break
            await RisingEdge(dut.clk_i)
        cycles = 0
        while True:
            await RisingEdge(dut.clk_i)
            cycles += 1
            await ReadOnly()
            if dut.out_valid_o.value == 1:
                break
        assert cycles == argmax_cycles(nb), f"{nb} beats: {cycles} cycles, model {argmax_cycles(nb)}"
        await tb.finish(1)
    tb.stop()


@cocotb.test()
async def coverage_check(dut):
    """Runs last: every declared functional coverage bin was hit."""
    export_func_coverage("argmax", f"all-L{int(dut.Lanes.value)}-V{int(dut.ValBits.value)}", prefix=COV)
    if os.environ.get("ARGMAX_FULL_RUN") == "1":
        assert_all_bins_hit(COV)


# --------------------------------------------------------------------------------------------------
# ll_argmax_reduce alone: exhaustive on small widths

@cocotb.test()
async def reduce_exhaustive(dut):
    """Every (valid, value, index) pair of 3-bit values and 2-bit indices against argmax_reduce."""
    vbits, ibits = len(dut.a_val_i), len(dut.a_idx_i)
    vals = range(-(1 << (vbits - 1)), 1 << (vbits - 1))
    n = 0
    for av, bv in itertools.product((0, 1), repeat=2):
        for a_val, a_idx, b_val, b_idx in itertools.product(vals, range(1 << ibits), vals,
                                                            range(1 << ibits)):
            dut.a_valid_i.value = av; dut.a_val_i.value = a_val; dut.a_idx_i.value = a_idx
            dut.b_valid_i.value = bv; dut.b_val_i.value = b_val; dut.b_idx_i.value = b_idx
            await Timer(1, unit="ns")
            if av and bv:
                exp = (1, *intops.argmax_reduce((a_val, a_idx), (b_val, b_idx)))
            elif av or bv:
                exp = (1, a_val, a_idx) if av else (1, b_val, b_idx)
            else:
                exp = None
            got = (int(dut.valid_o.value), dut.val_o.value.to_signed(), int(dut.idx_o.value))
            if exp is None:
                assert got[0] == 0, "no valid input but valid_o"
            else:
                assert got == exp, f"a=({av},{a_val},{a_idx}) b=({bv},{b_val},{b_idx}): {got} != {exp}"
            n += 1
    dut._log.info("checked %d combinations", n)


STREAM_TESTS = ["random_and_ties", "vocab_and_global_indices", "stalls_and_empty",
                "reset_mid_vector_and_latency", "coverage_check"]


@pytest.mark.parametrize("lanes,vbits", [(8, 32), (5, 24)])
def test_argmax(lanes, vbits):
    full = lanes == 8 and not os.environ.get("TESTCASE")
    run_sim(module="argmax", toplevel="ll_argmax",
            parameters={"Lanes": lanes, "ValBits": vbits, "IdxBits": 32},
            testcase=STREAM_TESTS, extra_env={"ARGMAX_FULL_RUN": "1" if full else "0"})


def test_argmax_reduce():
    run_sim(module="argmax", toplevel="ll_argmax_reduce", parameters={"ValBits": 3, "IdxBits": 2},
            testcase=["reduce_exhaustive"])
