"""ll_embed on the simulation memory model: the first residual vector against refmodel.intops.embed.

The tables are written into the memory model (debug poke port) in the layout of docs/lnr.md: rows of
d int8 at base + row*d, then one requantisation word {s[21:16], m[14:0]} per row at
base + rows*d + row*4. Neighbouring rows and words hold different random data, so a read of the wrong
row or word fails. Memory latency, stalls and error injection come from the model's configuration.
"""

from __future__ import annotations

import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverPoint, coverage_section

from refmodel import intops
from refmodel.cyclemodel.lnr import embed_cycles
from verif.lib.bits import unpack_lanes
from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim
from verif.lib.streams import StreamMonitor, StreamSink, make_pattern

COV = "embed"
ERR_NONE, ERR_DIM, ERR_INDEX, ERR_ALIGN, ERR_RESP = 0, 1, 2, 3, 4


@coverage_section(
    CoverPoint(f"{COV}.cmd.err", xf=lambda k: k["err"],
               bins=[ERR_NONE, ERR_DIM, ERR_INDEX, ERR_ALIGN, ERR_RESP]),
    CoverPoint(f"{COV}.cmd.cross_4k", xf=lambda k: k["cross"], bins=[True, False]),
    CoverPoint(f"{COV}.cmd.shift", xf=lambda k: k["shifts"], bins=["zero", "mid", "ge24"],
               rel=lambda s, b: b in s, inj=False),
    CoverPoint(f"{COV}.cmd.d", xf=lambda k: k["d"], bins=[(32, 32), (33, 1023), (1024, 1024),
                                                            (1025, 4095), (4096, 4096), (0, 0)],
               rel=lambda d, r: r[0] <= d <= r[1], inj=False),
)
def sample(k: dict) -> None:
    pass


def shift_bin(s: int) -> str:
    return "zero" if s == 0 else "ge24" if s >= 24 else "mid"


class Table:
    """A wte or wpe table in memory: only the rows and words a test touches are written."""

    def __init__(self, base: int, rows: int, d: int):
        self.base, self.rows, self.d = base, rows, d
        self.data: dict[int, np.ndarray] = {}
        self.rq: dict[int, tuple[int, int]] = {}

    def row_addr(self, r: int) -> int:
        return self.base + r * self.d

    def word_addr(self, r: int) -> int:
        return self.base + self.rows * self.d + 4 * r


class EmbedTb:
    def __init__(self, dut, bp=None):
        self.dut = dut
        self.lanes = len(dut.out_data_o) // 32
        self.maxd = (1 << len(dut.cmd_d_i)) // 2
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o,
                               backpressure=bp, rst_n=dut.rst_ni)
        self.mon = StreamMonitor(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o,
                                 rst_n=dut.rst_ni, name="out",
                                 callback=self._on_out)
        self.lasts: list[int] = []

    def _on_out(self, word: int) -> None:
        self.mon.items.append(word)
        self.lasts.append(int(self.dut.out_last_o.value))  # 1-bit: read beside the monitored data

    async def write_bytes(self, addr: int, data: bytes) -> None:
        """Write whole beats (read-modify-write is not needed: tables are written beat-aligned or
        into beats the test owns completely)."""
        assert addr % 32 == 0 and len(data) % 32 == 0
        dut = self.dut
        await RisingEdge(dut.clk_i)
        for k in range(0, len(data), 32):
            dut.dbg_we_i.value = 1
            dut.dbg_addr_i.value = addr + k
            dut.dbg_wdata_i.value = int.from_bytes(data[k:k + 32], "little")
            await RisingEdge(dut.clk_i)
        dut.dbg_we_i.value = 0

    async def fill(self, t: Table, rows: list[int], rng: random.Random, shift=None) -> None:
        """Random rows and requantisation words for `rows` and their neighbours (same beat)."""
        nrng = np.random.default_rng(rng.getrandbits(32))
        need = set()
        for r in rows:
            need |= {x for x in (r - 1, r, r + 1) if 0 <= x < t.rows}
        # rows: write each row's beats; rows are beat-aligned because d % 32 == 0 and base % 32 == 0
        for r in sorted(need):
            t.data[r] = nrng.integers(-128, 128, t.d)
            await self.write_bytes(t.row_addr(r), t.data[r].astype(np.int8).tobytes())
        # words: whole beats of 8 words
        for wb in sorted({r // 8 for r in need}):
            words = []
            for r in range(8 * wb, 8 * wb + 8):
                m = rng.choice([0, 1, (1 << 15) - 1, rng.randrange(1 << 15)])
                s = shift if (shift is not None and r in rows) else rng.choice(
                    [0, rng.randint(1, 23), rng.randint(6, 16), rng.randint(24, 63)])
                t.rq[r] = (m, s)
                words.append((s << 16) | m)
            word_base = t.word_addr(8 * wb)
            assert word_base % 32 == 0
            await self.write_bytes(word_base, b"".join(w.to_bytes(4, "little") for w in words))

    async def command(self, wte: Table, wpe: Table, tok: int, pos: int, d: int | None = None,
                      expect_err: int = ERR_NONE, check: bool = True) -> tuple[np.ndarray | None, int]:
        dut = self.dut
        d = wte.d if d is None else d
        n0 = self.mon.count
        await RisingEdge(dut.clk_i)
        dut.cmd_tok_i.value = tok; dut.cmd_pos_i.value = pos; dut.cmd_d_i.value = d
        dut.cmd_wte_base_i.value = wte.base; dut.cmd_wte_rows_i.value = wte.rows
        dut.cmd_wpe_base_i.value = wpe.base; dut.cmd_wpe_rows_i.value = wpe.rows
        dut.cmd_valid_i.value = 1
        while True:
            await ReadOnly()
            fired = dut.cmd_ready_o.value == 1
            await RisingEdge(dut.clk_i)
            if fired:
                break
        dut.cmd_valid_i.value = 0
        cycles = 0
        while True:
            await ReadOnly()
            if dut.done_o.value == 1:
                break
            cycles += 1
            assert cycles < 200 * d + 5000, "ll_embed hung"
            await RisingEdge(dut.clk_i)
        err = int(dut.err_o.value)
        await ClockCycles(dut.clk_i, 2)
        n = self.mon.count - n0
        outs = self.mon.items[n0:]
        cross = False
        if 0 < d and d % 32 == 0 and err == ERR_NONE:
            for t, r in ((wte, tok), (wpe, pos)):
                a = t.row_addr(r)
                cross |= (a // 4096) != ((a + d - 1) // 4096)
        sample({"err": err, "cross": cross, "d": d,
                "shifts": {shift_bin(wte.rq[tok][1]), shift_bin(wpe.rq[pos][1])}
                if err == ERR_NONE else set()})
        assert err == expect_err, f"err_o {err}, expected {expect_err}"
        if err != ERR_NONE:
            if expect_err != ERR_RESP:
                assert n == 0, "a rejected command produced output"
            return None, cycles
        if not check:
            return None, cycles
        beats = d // self.lanes
        assert n == beats, f"{n} output beats, expected {beats}"
        got = np.concatenate([unpack_lanes(w, self.lanes, 32) for w in outs])
        mt, st = wte.rq[tok]
        mp, sp = wpe.rq[pos]
        exp = intops.embed(wte.data[tok], mt, st, wpe.data[pos], mp, sp)
        if not np.array_equal(got, exp):
            bad = np.flatnonzero(got != exp)
            raise AssertionError(f"embedding mismatch at {bad[:8]}: got {got[bad[:4]]}, expected "
                                 f"{exp[bad[:4]]} (m_t {mt} s_t {st} m_p {mp} s_p {sp})")
        assert self.lasts[n0:] == [0] * (beats - 1) + [1], "out_last_o not exactly on the last beat"
        return got, cycles


async def setup(dut, latency: int = 1, stall: int = 0, bp=None) -> EmbedTb:
    start_clock(dut.clk_i)
    for name in ("cmd_valid_i", "dbg_we_i", "cfg_err_en_i", "out_ready_i"):
        getattr(dut, name).value = 0
    dut.cfg_read_latency_i.value = latency
    dut.cfg_stall_prob_i.value = stall
    dut.cfg_seed_i.value = int(os.environ["SEED"]) & 0xFFFFFFFF
    dut.cfg_err_addr_i.value = 0
    tb = EmbedTb(dut, bp=bp)
    await reset(dut, dut.clk_i)
    return tb


def rng_of(extra: int) -> random.Random:
    return random.Random(int(os.environ["SEED"]) * 100 + extra)


def cases(tb: EmbedTb, rng: random.Random) -> list[tuple[int, int, int, int, int]]:
    """(d, vocab, ctx, tok, pos): d from one beat to MaxD; rows that cross 4 KiB boundaries."""
    out = []
    for d in (32, 64, 768, 1024, rng.randrange(1056, 4096, 32), 4096):
        if d > tb.maxd:
            continue
        vocab = rng.choice([50257, 1000, 9])
        ctx = rng.choice([1024, 17])
        out.append((d, vocab, ctx, rng.randrange(vocab), rng.randrange(ctx)))
    if tb.maxd >= 768:
        out.append((768, 50257, 1024, 5, 50256 % 1024))  # wte row at offset 3840: crosses 4 KiB
    out.append((32, 16, 16, 15, 0))                        # last row, first position
    return out


WTE_BASE = 0x0100_0000
WPE_BASE = 0x0800_0060  # 32-byte aligned, not 4 KiB aligned


async def run_cases(tb: EmbedTb, rng: random.Random, cycles_model: bool = False, latency: int = 1):
    for d, vocab, ctx, tok, pos in cases(tb, rng):
        wte, wpe = Table(WTE_BASE, vocab, d), Table(WPE_BASE, ctx, d)
        await tb.fill(wte, [tok], rng)
        await tb.fill(wpe, [pos], rng)
        _, cycles = await tb.command(wte, wpe, tok, pos)
        if cycles_model:
            model = embed_cycles(d, tb.lanes, latency)
            tb.dut._log.info("embed d=%d latency=%d: %d cycles (model %d)", d, latency, cycles, model)
            assert cycles == model, f"d={d}: {cycles} cycles, model {model}"


@cocotb.test()
async def random_rows(dut):
    """Random tables, d = 32..4096, every shift class; cycle counts against the model."""
    tb = await setup(dut)
    await run_cases(tb, rng_of(1), cycles_model=True)
    for s in (0, 24, 63):
        d = min(256, tb.maxd)
        wte, wpe = Table(WTE_BASE, 300, d), Table(WPE_BASE, 64, d)
        rng = rng_of(10 + s)
        await tb.fill(wte, [77], rng, shift=s)
        await tb.fill(wpe, [3], rng, shift=s)
        await tb.command(wte, wpe, 77, 3)


@cocotb.test()
async def wide_fields(dut):
    """Tables at bases with alternating address bits (0xAAAA_AAxx, 0x5555_55xx), tens of millions
    of rows, the last token and position, then swapped; rejected commands with token, position, row
    counts and bases at all-ones / alternating patterns: every command field bit toggles both ways."""
    tb = await setup(dut)
    rng = rng_of(6)
    d = min(64, tb.maxd)
    hi, lo = (0xAAAA_AA00, 0x00AA_AAAB), (0x5555_5540, 0x0155_5556)  # (base, rows): tables end < 2**32
    for (wb, wr), (pb, pr) in ((hi, lo), (lo, hi)):
        wte, wpe = Table(wb, wr, d), Table(pb, pr, d)
        assert max(t.word_addr(t.rows) for t in (wte, wpe)) <= 1 << 32
        await tb.fill(wte, [wr - 1], rng)
        await tb.fill(wpe, [pr - 1], rng)
        await tb.command(wte, wpe, wr - 1, pr - 1)
    a5, aa, ones = 0x5555_5555, 0xAAAA_AAAA, 0xFFFF_FFFF
    for tok, wr, pos, pr in ((aa, a5, 0, 1), (a5, aa, aa, a5), (ones, ones, a5, aa), (0, 1, ones, ones)):
        await tb.command(Table(WTE_BASE, wr, d), Table(WPE_BASE, pr, d), tok, pos, expect_err=ERR_INDEX)
    for wb, pb in ((a5, aa), (aa, a5), (WTE_BASE | 0x1F, WPE_BASE)):
        await tb.command(Table(wb, 8, d), Table(pb, 8, d), 1, 2, expect_err=ERR_ALIGN)
    await tb.command(Table(WTE_BASE, 8, d), Table(WPE_BASE, 8, d), 1, 2, d=15, expect_err=ERR_DIM)


@cocotb.test()
async def latency_and_stalls(dut):
    """Memory latency 1..30 with the model's random stalls, random output back-pressure: identical
    results; the cycle model holds at a fixed latency without stalls."""
    rng = rng_of(2)
    tb = await setup(dut, latency=23, stall=0)
    await run_cases(tb, rng_of(20), cycles_model=True, latency=23)
    for lat, stall in ((1, 90), (30, 160), (7, 40)):
        dut.cfg_read_latency_i.value = lat
        dut.cfg_stall_prob_i.value = stall
        tb.sink.backpressure = make_pattern(rng.choice(["random_30", "random_60", "burst_8_2"]), rng)
        await run_cases(tb, rng)


@cocotb.test()
async def errors(dut):
    """Bad d, token or position out of range, unaligned bases, an AXI error response on the wpe row:
    done with the right code, never a hang, and the unit works afterwards."""
    tb = await setup(dut)
    rng = rng_of(3)
    d = min(64, tb.maxd)
    wte, wpe = Table(WTE_BASE, 100, d), Table(WPE_BASE, 10, d)
    await tb.fill(wte, [4, 99], rng)
    await tb.fill(wpe, [2, 9], rng)
    for bad_d in (0, 33, 16, tb.maxd + 32):
        await tb.command(wte, wpe, 4, 2, d=bad_d, expect_err=ERR_DIM)
    await tb.command(wte, wpe, 100, 2, expect_err=ERR_INDEX)
    await tb.command(wte, wpe, 4, 10, expect_err=ERR_INDEX)
    await tb.command(Table(WTE_BASE + 8, 100, d), wpe, 4, 2, expect_err=ERR_ALIGN)
    await tb.command(wte, Table(WPE_BASE + 4, 10, d), 4, 2, expect_err=ERR_ALIGN)
    dut.cfg_err_addr_i.value = wpe.row_addr(2) + 5
    dut.cfg_err_en_i.value = 1
    await tb.command(wte, wpe, 4, 2, expect_err=ERR_RESP)
    dut.cfg_err_addr_i.value = wte.word_addr(99)
    await tb.command(wte, wpe, 99, 9, expect_err=ERR_RESP)
    dut.cfg_err_en_i.value = 0
    await tb.command(wte, wpe, 99, 9)
    await tb.command(wte, wpe, 4, 2)


@cocotb.test()
async def reset_mid_vector(dut):
    """Reset while rows are streaming; the same command afterwards gives the undisturbed result."""
    tb = await setup(dut, latency=5, bp=make_pattern("random_30", rng_of(4)))
    rng = rng_of(5)
    d = min(1024, tb.maxd)
    wte, wpe = Table(WTE_BASE, 50257, d), Table(WPE_BASE, 1024, d)
    await tb.fill(wte, [1234], rng)
    await tb.fill(wpe, [600], rng)
    ref, _ = await tb.command(wte, wpe, 1234, 600)
    for when in (10, d // 32 + 20, d // 32 + 60):
        dut.cmd_tok_i.value = 1234; dut.cmd_pos_i.value = 600; dut.cmd_valid_i.value = 1
        await RisingEdge(dut.clk_i)
        dut.cmd_valid_i.value = 0
        await ClockCycles(dut.clk_i, when)
        dut.rst_ni.value = 0
        await ClockCycles(dut.clk_i, 3)
        dut.rst_ni.value = 1
        await ReadOnly()
        assert dut.busy_o.value == 0 and dut.out_valid_o.value == 0, "reset did not abort"
        await RisingEdge(dut.clk_i)
        got, _ = await tb.command(wte, wpe, 1234, 600)
        assert np.array_equal(got, ref), "result after a reset differs"


@cocotb.test()
async def coverage_check(dut):
    """Runs last: every declared functional coverage bin was hit."""
    # one export per parameter set (the small build cannot reach the large-d bins; the merge unions them)
    export_func_coverage("embed", f"all-MaxD{int(dut.MaxD.value)}", prefix=COV)
    if os.environ.get("EMBED_FULL_RUN") == "1":
        assert_all_bins_hit(COV)


@pytest.mark.parametrize("lanes,maxd", [(8, 4096), (4, 256)])
def test_embed(lanes, maxd):
    full = lanes == 8 and not os.environ.get("TESTCASE")
    run_sim(module="embed", toplevel="tb_embed", parameters={"Lanes": lanes, "MaxD": maxd},
            extra_build_args=["--output-split", "0"],
            extra_env={"EMBED_FULL_RUN": "1" if full else "0"})
