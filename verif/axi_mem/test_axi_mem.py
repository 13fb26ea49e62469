"""Tests of the simulation AXI4 memory model ``ll_axi_mem_sim`` (through ``tb_axi_mem``).

cocotbext-axi's ``AxiMaster`` drives random reads and writes that are checked against a Python
byte mirror; images are loaded from raw files by plusargs and read back bit-exact; dumps are
compared with the mirror; every latency / stall setting must give the same data; error responses
are checked; the read throughput (one beat per cycle) and the exact first-beat latency are measured
with a cycle-accurate AR streamer driven directly from cocotb.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverPoint
from cocotbext.axi import AxiBurstType, AxiBus, AxiMaster, AxiResp

from verif.axi_mem.axi_mem_util import (MemMirror, dump_plusarg, load_plusargs, read_image,
                                        write_image)
from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock

BEAT = 32                # bytes per beat (DataBits = 256)
NAME = "mem"             # the model's Name parameter (plusarg prefix)
MEM_BYTES = 1 << 28      # MemBytes of the tested instance (256 MiB)

# Images loaded at time 0 (pytest writes them; the cocotb tests find them through the environment).
IMG_SPECS = [  # (file name, base, size in bytes)
    ("img0.bin", 0x0001_0000, 100_003),
    ("img1.bin", 0x0040_0000, 4096 + 17),
    ("img2.bin", 0x0080_0000, 64),
]
SINGLE_SPEC = ("single.bin", 0x00C0_0000, 1000)   # the +mem_load= / +mem_load_base= form
RELOAD_SPEC = ("reload.bin", 0x00E0_0000, 5000)   # rewritten and reloaded at run time
TIMEOUT_US = 5000        # simulated time limit of each cocotb test (the longest needs ~500 us)


def rng_for(name: str) -> random.Random:
    return random.Random(f"{os.environ.get('SEED', '1')}-{name}")


def image_bytes(name: str, size: int) -> bytes:
    """Random bytes with runs of whole zero beats (the loader skips never-written zero beats)."""
    data = bytearray(random.Random(f"image-{name}-{size}").randbytes(size))
    for start in range(2 * BEAT, size - 4 * BEAT, 37 * BEAT):
        data[start:start + 4 * BEAT] = bytes(4 * BEAT)
    return bytes(data)


# --------------------------------------------------------------------------------------------------
# testbench


class Tb:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.clk = dut.clk
        self.axi: AxiMaster | None = None
        self.cycle = 0
        start_clock(dut.clk)
        cocotb.start_soon(self._count())

    async def _count(self) -> None:
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1

    async def init(self, latency: int = 1, stall: int = 0, seed: int | None = None,
                   master: bool = True) -> None:
        d = self.dut
        self.set_cfg(latency, stall)
        # the model's stall generator seed follows the run's SEED
        d.cfg_seed.value = rng_for("stall-seed").getrandbits(32) if seed is None else seed
        d.cfg_err_en.value = 0
        d.cfg_err_addr.value = 0
        d.load_req.value = 0
        d.dump_req.value = 0
        d.dump_addr.value = 0
        d.dump_bytes.value = 0
        d.dbg_we.value = 0
        d.dbg_addr.value = 0
        d.dbg_wdata.value = 0
        d.dbg_wstrb.value = 0
        if master:
            self.axi = AxiMaster(AxiBus.from_prefix(d, "s_axi"), d.clk, d.rst_n,
                                 reset_active_level=False)
        else:
            for sig in ("arvalid", "awvalid", "wvalid"):
                getattr(d, f"s_axi_{sig}").value = 0
            for sig in ("arid", "araddr", "arlen", "awid", "awaddr", "awlen", "wdata", "wstrb",
                        "wlast"):
                getattr(d, f"s_axi_{sig}").value = 0
            d.s_axi_arsize.value = 5
            d.s_axi_awsize.value = 5
            d.s_axi_arburst.value = 1
            d.s_axi_awburst.value = 1
            d.s_axi_rready.value = 1
            d.s_axi_bready.value = 1
        await reset(d.rst_n, d.clk, 4)
        await RisingEdge(d.clk)

    def set_master_pauses(self, rng: random.Random | None, p: float = 0.3) -> None:
        """Random idle cycles on the master's AW/W/AR and back-pressure on R/B (None: off)."""
        chans = [self.axi.write_if.aw_channel, self.axi.write_if.w_channel,
                 self.axi.write_if.b_channel, self.axi.read_if.ar_channel,
                 self.axi.read_if.r_channel]
        for k, ch in enumerate(chans):
            if rng is None:
                ch.clear_pause_generator()
                ch.pause = False   # clearing the generator leaves the last value in place
            else:
                sub = random.Random(rng.getrandbits(32) + k)
                ch.set_pause_generator(iter(lambda s=sub: s.random() < p, None))

    def set_cfg(self, latency: int, stall: int) -> None:
        self.dut.cfg_read_latency.value = latency
        self.dut.cfg_stall_prob.value = stall

    async def pulse(self, sig) -> None:
        await RisingEdge(self.clk)
        sig.value = 1
        await RisingEdge(self.clk)
        sig.value = 0
        await RisingEdge(self.clk)

    async def dump(self, addr: int, nbytes: int) -> bytes:
        self.dut.dump_addr.value = addr
        self.dut.dump_bytes.value = nbytes
        await self.pulse(self.dut.dump_req)
        return read_image(os.environ["AXI_MEM_DUMP"])

    async def peek(self, addr: int) -> int:
        self.dut.dbg_addr.value = addr
        await RisingEdge(self.clk)
        await RisingEdge(self.clk)
        await ReadOnly()
        val = int(self.dut.dbg_rdata.value)
        await RisingEdge(self.clk)
        return val

    async def poke(self, addr: int, data: int, strb: int = (1 << BEAT) - 1) -> None:
        await RisingEdge(self.clk)
        self.dut.dbg_addr.value = addr
        self.dut.dbg_wdata.value = data
        self.dut.dbg_wstrb.value = strb
        self.dut.dbg_we.value = 1
        await RisingEdge(self.clk)
        self.dut.dbg_we.value = 0


def images_from_env() -> list[tuple[int, bytes]]:
    out = []
    for item in os.environ["AXI_MEM_IMAGES"].split(","):
        path, base = item.rsplit("@", 1)
        out.append((int(base, 16), read_image(path)))
    return out


# --------------------------------------------------------------------------------------------------
# coverage (sampled by the bus monitor, i.e. from what the model really accepted and answered)

LAT_BINS = {"1": (1, 1), "2-4": (2, 4), "5-16": (5, 16), "17-64": (17, 64)}
STALL_BINS = {"0": (0, 0), "1-63": (1, 63), "64-191": (64, 191), "192-255": (192, 255)}
LEN_BINS = {"1": (1, 1), "2-15": (2, 15), "16-63": (16, 63), "64-127": (64, 127), "128": (128, 128)}


def in_bin(value, rng_) -> bool:
    return rng_[0] <= value <= rng_[1]


def rel_in(bins):
    return lambda val, b: in_bin(val, bins[b])


COV = "axi_mem.coverage_stress"


@CoverPoint(f"{COV}.dir_len", xf=lambda t: (t["dir"], t["len"]),
            bins=[(d, b) for d in ("rd", "wr") for b in LEN_BINS],
            rel=lambda v, b: v[0] == b[0] and in_bin(v[1], LEN_BINS[b[1]]))
@CoverPoint(f"{COV}.latency", xf=lambda t: t["latency"], bins=list(LAT_BINS), rel=rel_in(LAT_BINS))
@CoverPoint(f"{COV}.stall", xf=lambda t: t["stall"], bins=list(STALL_BINS), rel=rel_in(STALL_BINS))
@CoverPoint(f"{COV}.resp", xf=lambda t: (t["dir"], t["resp"]),
            bins=[(d, r) for d in ("rd", "wr") for r in ("OKAY", "SLVERR", "DECERR")])
@CoverPoint(f"{COV}.burst_type", xf=lambda t: t["burst"], bins=["INCR", "WRAP", "FIXED"])
def sample_burst(txn: dict) -> None:
    pass


class BurstMonitor:
    """Passive monitor: pairs address handshakes with the R beats / B response of each burst."""

    def __init__(self, tb: Tb) -> None:
        self.tb = tb
        self.d = tb.dut
        self.rd_pending: list[dict] = []
        self.wr_pending: list[dict] = []
        self.done: list[dict] = []
        cocotb.start_soon(self._run())

    def _cfg(self) -> tuple[int, int]:
        return int(self.d.cfg_read_latency.value), int(self.d.cfg_stall_prob.value)

    async def _run(self) -> None:
        d = self.d
        btype = {0: "FIXED", 1: "INCR", 2: "WRAP", 3: "RSVD"}
        rnames = {0: "OKAY", 1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}
        while True:
            await ReadOnly()
            lat, stall = self._cfg()
            if d.s_axi_arvalid.value == 1 and d.s_axi_arready.value == 1:
                self.rd_pending.append({"dir": "rd", "len": int(d.s_axi_arlen.value) + 1,
                                        "burst": btype[int(d.s_axi_arburst.value)],
                                        "latency": lat, "stall": stall, "beats": 0,
                                        "resps": set()})
            if d.s_axi_awvalid.value == 1 and d.s_axi_awready.value == 1:
                self.wr_pending.append({"dir": "wr", "len": int(d.s_axi_awlen.value) + 1,
                                        "burst": btype[int(d.s_axi_awburst.value)],
                                        "latency": lat, "stall": stall})
            if d.s_axi_rvalid.value == 1 and d.s_axi_rready.value == 1:
                assert self.rd_pending, "R beat without an outstanding read burst"
                t = self.rd_pending[0]
                t["beats"] += 1
                t["resps"].add(rnames[int(d.s_axi_rresp.value)])
                last = int(d.s_axi_rlast.value)
                assert last == (t["beats"] == t["len"]), \
                    f"rlast={last} on beat {t['beats']} of a {t['len']}-beat burst"
                if last:
                    assert len(t["resps"]) == 1, f"mixed responses in one burst: {t['resps']}"
                    t["resp"] = t["resps"].pop()
                    self.rd_pending.pop(0)
                    self.done.append(t)
                    sample_burst(t)
            if d.s_axi_bvalid.value == 1 and d.s_axi_bready.value == 1:
                assert self.wr_pending, "B response without an outstanding write burst"
                t = self.wr_pending.pop(0)
                t["resp"] = rnames[int(d.s_axi_bresp.value)]
                self.done.append(t)
                sample_burst(t)
            await RisingEdge(self.tb.clk)


# --------------------------------------------------------------------------------------------------
# cocotb tests


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def load_readback(dut):
    """Images given by +mem_loadK/+mem_baseK and +mem_load/+mem_load_base read back bit-exact."""
    tb = Tb(dut)
    await tb.init(latency=3)
    images = images_from_env()
    assert len(images) == len(IMG_SPECS) + 2
    for base, data in images:
        got = await tb.axi.read(base, len(data))
        assert got.resp == AxiResp.OKAY, f"read of image at 0x{base:x}: {got.resp!r}"
        assert got.data == data, f"image at 0x{base:x} ({len(data)} bytes) differs"
        # the bytes after the image's last byte in its last beat were never written: zero
        end = base + len(data)
        pad = (-end) % BEAT
        if pad:
            tail = await tb.axi.read(end, pad)
            assert tail.data == bytes(pad)
    # memory between images was never written: reads as zero
    gap = await tb.axi.read(0x0030_0000, 4096)
    assert gap.data == bytes(4096)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def random_rw(dut):
    """Random reads/writes (unaligned, wstrb, concurrent reads) vs a byte mirror, for several
    latency/stall settings; every setting must return exactly the same data."""
    tb = Tb(dut)
    await tb.init()
    rng = rng_for("random_rw")
    window = 1 << 13            # small, so that partial-beat writes land next to earlier data
    ops = []
    for _ in range(120):
        addr = rng.randrange(window - 1024)
        length = rng.choice([1, 2, 31, 32, 33, 64, rng.randrange(1, 1024)])
        if rng.random() < 0.5:
            ops.append(("w", addr, rng.randbytes(length)))
        else:
            ops.append(("r", addr, length))
    # (latency, model stall probability /256, master idle / back-pressure probability)
    configs = [(1, 0, 0.0), (2, 0, 0.3), (7, 0, 0.0), (1, 64, 0.5), (13, 128, 0.2), (40, 230, 0.7)]
    results_per_cfg = []
    for k, (lat, stall, pause) in enumerate(configs):
        tb.set_cfg(lat, stall)
        tb.set_master_pauses(random.Random(k) if pause else None, pause)
        base = 0x0100_0000 + k * 0x0010_0000
        mirror = MemMirror()
        results = []
        i = 0
        while i < len(ops):
            # group consecutive reads and issue them concurrently (pipelined ARs)
            if ops[i][0] == "r":
                group = []
                while i < len(ops) and ops[i][0] == "r" and len(group) < 6:
                    group.append(ops[i])
                    i += 1
                tasks = [cocotb.start_soon(tb.axi.read(base + a, n)) for _, a, n in group]
                for (_, a, n), t in zip(group, tasks):
                    r = await t
                    assert r.resp == AxiResp.OKAY
                    exp = mirror.read(a, n)
                    assert r.data == exp, f"cfg lat={lat} stall={stall}: read 0x{a:x}+{n} differs"
                    results.append(r.data)
            else:
                _, a, data = ops[i]
                i += 1
                w = await tb.axi.write(base + a, data)
                assert w.resp == AxiResp.OKAY
                mirror.write(a, data)
        # whole window read back at the end
        r = await tb.axi.read(base, window)
        assert r.data == mirror.read(0, window), f"cfg lat={lat} stall={stall}: final read-back"
        assert len(mirror) > window // 4, "writes did not cover a good part of the window"

        results.append(r.data)
        results_per_cfg.append(results)
        dut._log.info("cfg latency=%d stall=%d master pause=%.1f: %d ops ok", lat, stall, pause,
                      len(ops))
    tb.set_master_pauses(None)
    for k, res in enumerate(results_per_cfg[1:], 1):
        assert res == results_per_cfg[0], f"config {configs[k]} returned different data"


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def dump_region(dut):
    """dump_req_i writes the requested region, raw bytes, to +mem_dump=<file>."""
    tb = Tb(dut)
    await tb.init(latency=2, stall=40)
    rng = rng_for("dump")
    base = 0x0200_0000
    mirror = MemMirror()
    for _ in range(20):
        a = rng.randrange(8192)
        data = rng.randbytes(rng.randrange(1, 300))
        await tb.axi.write(base + a, data)
        mirror.write(a, data)
    # whole beats, and tails that use the 4-byte and the 1-byte paths of the dump
    for nbytes in (32, 8192 + 512, 4097, 4096 + 13, 45, 8, 7, 3, 1):
        got = await tb.dump(base, nbytes)
        assert got == mirror.read(0, nbytes), f"dump of {nbytes} bytes differs"
    got = await tb.dump(base + 4096, 1000)
    assert got == mirror.read(4096, 1000)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def runtime_load(dut):
    """A load_req_i pulse reloads every plusarg image; a rewritten file shows up in memory."""
    tb = Tb(dut)
    await tb.init(latency=4)
    path = os.environ["AXI_MEM_RELOAD"]
    _, base, size = RELOAD_SPEC
    r = await tb.axi.read(base, size)
    assert r.data == image_bytes(RELOAD_SPEC[0], size)
    # the new content has whole zero beats where the old one had data (the loader skips zero beats
    # only where nothing was written: these must overwrite) and data in a zero beat's place
    new = bytearray(rng_for("reload").randbytes(size))
    new[12 * BEAT:15 * BEAT] = bytes(3 * BEAT)
    new = bytes(new)
    write_image(path, new)
    await tb.pulse(dut.load_req)
    r = await tb.axi.read(base, size)
    assert r.data == new
    # the other images were reloaded from unchanged files: still intact
    for b, data in images_from_env()[:1]:
        r = await tb.axi.read(b, 256)
        assert r.data == data[:256]


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def debug_port(dut):
    """Peek/poke single beats through dbg_*; consistent with AXI reads/writes."""
    tb = Tb(dut)
    await tb.init()
    rng = rng_for("dbg")
    base = 0x0300_0000
    val = rng.getrandbits(256)
    await tb.poke(base + 5, val)             # byte address inside the beat: the beat at base
    assert await tb.peek(base) == val
    r = await tb.axi.read(base, BEAT)
    assert r.data == val.to_bytes(BEAT, "little")
    strb = 0x0000_ff0f
    val2 = rng.getrandbits(256)
    await tb.poke(base, val2, strb)
    exp = bytearray(val.to_bytes(BEAT, "little"))
    for b in range(BEAT):
        if strb >> b & 1:
            exp[b] = val2.to_bytes(BEAT, "little")[b]
    assert await tb.peek(base) == int.from_bytes(exp, "little")
    data = rng.randbytes(BEAT)
    await tb.axi.write(base + BEAT, data)
    assert await tb.peek(base + BEAT) == int.from_bytes(data, "little")
    assert await tb.peek(base + 2 * BEAT) == 0


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def two_instances(dut):
    """Each instance loads the images of its own Name: +memb_load0 reaches the second one only."""
    tb = Tb(dut)
    await tb.init()
    dut.dbgb_addr.value = 0
    base_a, data_a = images_from_env()[0]
    path_b, base_b = os.environ["AXI_MEM_B_IMAGE"].rsplit("@", 1)
    base_b = int(base_b, 16)
    data_b = read_image(path_b)
    assert base_b == base_a and data_b[:BEAT] != data_a[:BEAT]
    for k in range(0, len(data_b), BEAT):
        dut.dbgb_addr.value = base_b + k
        dut.dbg_addr.value = base_b + k
        await RisingEdge(tb.clk)
        await RisingEdge(tb.clk)
        await ReadOnly()
        exp_b = int.from_bytes(data_b[k:k + BEAT].ljust(BEAT, b"\0"), "little")
        exp_a = int.from_bytes(data_a[k:k + BEAT], "little")
        assert int(dut.dbgb_rdata.value) == exp_b, f"instance memb, beat {k // BEAT}"
        assert int(dut.dbg_rdata.value) == exp_a, f"instance mem, beat {k // BEAT}"
        await RisingEdge(tb.clk)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def errors(dut):
    """Error injection (SLVERR, data discarded / zero), WRAP/FIXED/narrow refused with SLVERR,
    bursts beyond MemBytes get DECERR."""
    tb = Tb(dut)
    await tb.init(latency=2)
    d = dut
    base = 0x0400_0000
    good = rng_for("err").randbytes(1024)
    w = await tb.axi.write(base, good)
    assert w.resp == AxiResp.OKAY
    # inject on a byte inside the second 512-byte burst
    d.cfg_err_addr.value = base + 700
    d.cfg_err_en.value = 1
    r = await tb.axi.read(base, 512)
    assert r.resp == AxiResp.OKAY and r.data == good[:512]
    r = await tb.axi.read(base + 512, 512)
    assert r.resp == AxiResp.SLVERR and r.data == bytes(512)
    w = await tb.axi.write(base + 640, bytes(128))
    assert w.resp == AxiResp.SLVERR
    w = await tb.axi.write(base + 800, bytes(32))
    assert w.resp == AxiResp.OKAY
    d.cfg_err_en.value = 0
    r = await tb.axi.read(base + 512, 512)
    exp = bytearray(good[512:])
    exp[800 - 512:800 - 512 + 32] = bytes(32)
    assert r.resp == AxiResp.OKAY and r.data == bytes(exp), "an errored write changed memory"
    # refused burst types and sizes
    for burst in (AxiBurstType.WRAP, AxiBurstType.FIXED):
        r = await tb.axi.read(base, 128, burst=burst)
        assert r.resp == AxiResp.SLVERR, f"{burst!r} read: {r.resp!r}"
        assert r.data == bytes(128)
        w = await tb.axi.write(base, bytes(128), burst=burst)
        assert w.resp == AxiResp.SLVERR, f"{burst!r} write: {w.resp!r}"
    r = await tb.axi.read(base, 64, size=2)
    assert r.resp == AxiResp.SLVERR
    w = await tb.axi.write(base, bytes(64), size=2)
    assert w.resp == AxiResp.SLVERR
    r = await tb.axi.read(base, 1024)
    assert r.data == bytes(exp[:0]) + good[:512] + bytes(exp), "refused writes changed memory"
    # beyond the memory
    r = await tb.axi.read(MEM_BYTES - 64, 128)
    assert r.resp == AxiResp.DECERR
    r = await tb.axi.read(MEM_BYTES - 64, 64)
    assert r.resp == AxiResp.OKAY
    w = await tb.axi.write(MEM_BYTES + 4096, bytes(64))
    assert w.resp == AxiResp.DECERR


async def stream_reads(tb: Tb, bursts: list[tuple[int, int]], max_out: int = 1 << 30):
    """Drive AR directly: issue ``bursts`` ((addr, beats)) back to back while at most ``max_out``
    are outstanding; rready always high. Returns (R beat cycles, AR handshake cycles, data)."""
    d = tb.dut
    ar_cycles: list[int] = []
    r_cycles: list[int] = []
    data: list[int] = []
    nbeats = sum(n for _, n in bursts)
    nxt = 0
    outstanding = 0
    cyc = 0

    def drive() -> None:
        if nxt < len(bursts) and outstanding < max_out:
            a, n = bursts[nxt]
            d.s_axi_araddr.value = a
            d.s_axi_arlen.value = n - 1
            d.s_axi_arid.value = nxt % 16
            d.s_axi_arvalid.value = 1
        else:
            d.s_axi_arvalid.value = 0

    await RisingEdge(tb.clk)
    drive()
    while len(r_cycles) < nbeats:
        await ReadOnly()
        if d.s_axi_arvalid.value == 1 and d.s_axi_arready.value == 1:
            ar_cycles.append(cyc)
            nxt += 1
            outstanding += 1
        if d.s_axi_rvalid.value == 1 and d.s_axi_rready.value == 1:
            r_cycles.append(cyc)
            data.append(int(d.s_axi_rdata.value))
            assert int(d.s_axi_rresp.value) == 0
            if d.s_axi_rlast.value == 1:
                outstanding -= 1
        await RisingEdge(tb.clk)
        cyc += 1
        if cyc > 100 * nbeats + 1000:
            raise AssertionError("stream_reads: timeout")
        drive()
    d.s_axi_arvalid.value = 0
    return r_cycles, ar_cycles, data


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def read_throughput(dut):
    """With fixed latency and no stalls, a master keeping enough bursts outstanding sees an R beat
    on 100% of the cycles; an isolated burst's first beat comes exactly latency cycles after AR."""
    tb = Tb(dut)
    await tb.init(master=False)
    base, data_img = images_from_env()[0]
    ref = {base // BEAT + i: int.from_bytes(data_img[i * BEAT:(i + 1) * BEAT].ljust(BEAT, b"\0"),
                                            "little")
           for i in range((len(data_img) + BEAT - 1) // BEAT)}
    cases = [  # latency, beats per burst, bursts
        (1, 1, 64), (2, 1, 64), (5, 2, 64), (8, 4, 32), (16, 16, 16), (30, 1, 200),
        (24, 128, 4), (3, 7, 40),
    ]
    for lat, blen, nb in cases:
        tb.set_cfg(lat, 0)
        # isolated burst: exact latency
        r_cyc, ar_cyc, _ = await stream_reads(tb, [(base, blen)])
        got_lat = r_cyc[0] - ar_cyc[0]
        assert got_lat == lat, f"latency {lat}: first beat {got_lat} cycles after AR"
        assert r_cyc == list(range(r_cyc[0], r_cyc[0] + blen)), "isolated burst has bubbles"
        await ClockCycles(tb.clk, 3)
        # stream: bursts back to back, 4 KiB-safe addresses inside image 0
        per_4k = 4096 // (blen * BEAT)
        bursts = [(base + (k // per_4k) * 4096 + (k % per_4k) * blen * BEAT, blen)
                  for k in range(nb)]
        bursts = [(a, n) for a, n in bursts if a + n * BEAT <= base + len(data_img) - BEAT]
        r_cyc, ar_cyc, data = await stream_reads(tb, bursts)
        beats = len(r_cyc)
        span = r_cyc[-1] - r_cyc[0] + 1
        rate = beats / span
        dut._log.info("latency %2d, %3d-beat bursts x %3d: %d beats in %d cycles = %.1f%% "
                      "(first beat %d cycles after first AR)", lat, blen, len(bursts), beats,
                      span, 100 * rate, r_cyc[0] - ar_cyc[0])
        assert span == beats, f"latency {lat} burst {blen}: {beats} beats took {span} cycles"
        assert r_cyc[0] - ar_cyc[0] == lat
        exp = [ref[a // BEAT + i] for a, n in bursts for i in range(n)]
        assert data == exp, "streamed data differs from the image"
        await ClockCycles(tb.clk, 3)
    # with stalls: same data, fewer beats per cycle
    tb.set_cfg(3, 128)
    bursts = [(base + k * 256, 8) for k in range(48)]
    r_cyc, _, data = await stream_reads(tb, bursts)
    exp = [ref[a // BEAT + i] for a, n in bursts for i in range(n)]
    assert data == exp
    span = r_cyc[-1] - r_cyc[0] + 1
    dut._log.info("stall 128/256: %d beats in %d cycles = %.1f%%", len(r_cyc), span,
                  100 * len(r_cyc) / span)
    assert span > len(r_cyc) * 1.5, "stall probability 1/2 did not slow the R channel"


async def stream_writes(tb: Tb, bursts: list[tuple[int, list[int]]]):
    """Drive AW and W directly: AWs back to back as fast as awready allows, W beats back to back
    (wvalid high whenever a beat is left), bready always high. Returns the W handshake cycles."""
    d = tb.dut
    w_beats = [(beat, i == len(beats) - 1) for _, beats in bursts for i, beat in enumerate(beats)]
    w_cycles: list[int] = []
    n_aw = n_w = n_b = 0
    cyc = 0

    def drive() -> None:
        if n_aw < len(bursts):
            a, beats = bursts[n_aw]
            d.s_axi_awaddr.value = a
            d.s_axi_awlen.value = len(beats) - 1
            d.s_axi_awvalid.value = 1
        else:
            d.s_axi_awvalid.value = 0
        if n_w < len(w_beats):
            beat, last = w_beats[n_w]
            d.s_axi_wdata.value = beat
            d.s_axi_wstrb.value = (1 << BEAT) - 1
            d.s_axi_wlast.value = int(last)
            d.s_axi_wvalid.value = 1
        else:
            d.s_axi_wvalid.value = 0

    await RisingEdge(tb.clk)
    drive()
    while n_b < len(bursts):
        await ReadOnly()
        if d.s_axi_awvalid.value == 1 and d.s_axi_awready.value == 1:
            n_aw += 1
        if d.s_axi_wvalid.value == 1 and d.s_axi_wready.value == 1:
            w_cycles.append(cyc)
            n_w += 1
        if d.s_axi_bvalid.value == 1 and d.s_axi_bready.value == 1:
            assert int(d.s_axi_bresp.value) == 0
            n_b += 1
        await RisingEdge(tb.clk)
        cyc += 1
        if cyc > 100 * len(w_beats) + 1000:
            raise AssertionError("stream_writes: timeout")
        drive()
    d.s_axi_awvalid.value = 0
    d.s_axi_wvalid.value = 0
    return w_cycles


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def write_throughput(dut):
    """A master issuing AW ahead of W streams W at one beat per cycle (no stalls); the data lands
    in memory (checked by a dump)."""
    tb = Tb(dut)
    await tb.init(master=False)
    rng = rng_for("wthru")
    base = 0x0600_0000
    for blen, nb in ((1, 64), (4, 32), (16, 8), (128, 2)):
        bursts = []
        for k in range(nb):
            a = base + k * blen * BEAT
            bursts.append((a, [rng.getrandbits(8 * BEAT) for _ in range(blen)]))
        w_cyc = await stream_writes(tb, bursts)
        beats = len(w_cyc)
        span = w_cyc[-1] - w_cyc[0] + 1
        dut._log.info("W: %3d-beat bursts x %3d: %d beats in %d cycles = %.1f%%", blen, nb, beats,
                      span, 100 * beats / span)
        assert span == beats, f"{blen}-beat write bursts: {beats} beats took {span} cycles"
        got = await tb.dump(base, nb * blen * BEAT)
        exp = b"".join(b.to_bytes(BEAT, "little") for _, beats_ in bursts for b in beats_)
        assert got == exp, f"{blen}-beat write bursts: memory content differs"
        await ClockCycles(tb.clk, 3)
    # with W ready / B withheld half of the time: same memory content, W slowed down
    tb.set_cfg(1, 128)
    bursts = [(base + 0x10000 + k * 4 * BEAT, [rng.getrandbits(8 * BEAT) for _ in range(4)])
              for k in range(24)]
    w_cyc = await stream_writes(tb, bursts)
    span = w_cyc[-1] - w_cyc[0] + 1
    dut._log.info("W with stall 128/256: %d beats in %d cycles = %.1f%%", len(w_cyc), span,
                  100 * len(w_cyc) / span)
    assert span > len(w_cyc) * 1.5, "stall probability 1/2 did not slow the W channel"
    got = await tb.dump(base + 0x10000, 24 * 4 * BEAT)
    assert got == b"".join(b.to_bytes(BEAT, "little") for _, beats_ in bursts for b in beats_)


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def reset_in_traffic(dut):
    """Reset with read bursts outstanding: R goes idle, nothing stale comes out afterwards, memory
    content survives, and the next bursts have exact latency and data."""
    tb = Tb(dut)
    await tb.init(master=False)
    d = dut
    base, data_img = images_from_env()[0]
    tb.set_cfg(6, 0)
    # 8 bursts of 4 beats, stop after the AR phase with beats still in flight
    await RisingEdge(tb.clk)
    for k in range(8):
        d.s_axi_araddr.value = base + k * 128
        d.s_axi_arlen.value = 3
        d.s_axi_arvalid.value = 1
        await RisingEdge(tb.clk)
    d.s_axi_arvalid.value = 0
    await ClockCycles(tb.clk, 8)
    await reset(d.rst_n, d.clk, 2)
    for _ in range(20):
        await ReadOnly()
        assert d.s_axi_rvalid.value == 0 and d.s_axi_bvalid.value == 0, "response after reset"
        await RisingEdge(tb.clk)
    bursts = [(base + 4096 + k * 64, 2) for k in range(10)]
    r_cyc, ar_cyc, data = await stream_reads(tb, bursts)
    assert r_cyc[0] - ar_cyc[0] == 6
    assert r_cyc[-1] - r_cyc[0] + 1 == len(r_cyc)
    exp = [int.from_bytes(data_img[a - base + i * BEAT:a - base + (i + 1) * BEAT], "little")
           for a, n in bursts for i in range(n)]
    assert data == exp


@cocotb.test(timeout_time=TIMEOUT_US, timeout_unit="us")
async def coverage_stress(dut):
    """Random traffic over random latency/stall/error settings; every coverage bin must be hit."""
    tb = Tb(dut)
    await tb.init()
    mon = BurstMonitor(tb)
    rng = rng_for("cov")
    base = 0x0500_0000
    mirror = MemMirror()
    lens = [1, 2, 9, 15, 16, 40, 63, 64, 100, 127, 128]
    deck: list[tuple[bool, int]] = []
    phases = [(lat, st) for lat in (1, 3, 12, 40) for st in (0, 30, 100, 220)]
    rng.shuffle(phases)
    for ph, (lat, stall) in enumerate(phases):
        tb.set_cfg(lat, stall)
        # master-side idle cycles and R/B back-pressure in every other phase
        tb.set_master_pauses(random.Random(rng.getrandbits(32)) if ph % 2 else None, 0.3)
        for _ in range(4):
            if not deck:   # every (direction, length) pair once per deck, in random order
                deck = [(is_wr, n) for is_wr in (False, True) for n in lens]
                rng.shuffle(deck)
            is_wr, n = deck.pop()
            off = rng.randrange(16) * 4096 + rng.randrange(0, 4096 // BEAT - n + 1) * BEAT
            err = rng.random() < 0.2
            if err:
                dut.cfg_err_addr.value = base + off + rng.randrange(n * BEAT)
                dut.cfg_err_en.value = 1
            if is_wr:
                data = rng.randbytes(n * BEAT)
                w = await tb.axi.write(base + off, data)
                assert w.resp == (AxiResp.SLVERR if err else AxiResp.OKAY)
                if not err:
                    mirror.write(off, data)
            else:
                r = await tb.axi.read(base + off, n * BEAT)
                assert r.resp == (AxiResp.SLVERR if err else AxiResp.OKAY)
                assert r.data == (bytes(n * BEAT) if err else mirror.read(off, n * BEAT))
            dut.cfg_err_en.value = 0
        # one refused and one out-of-range burst of each direction per phase
        kind = rng.choice([AxiBurstType.WRAP, AxiBurstType.FIXED])
        r = await tb.axi.read(base, 64, burst=kind)
        assert r.resp == AxiResp.SLVERR
        w = await tb.axi.write(base + 8192, bytes(64), burst=kind)
        assert w.resp == AxiResp.SLVERR
        r = await tb.axi.read(MEM_BYTES, 32)
        assert r.resp == AxiResp.DECERR
        w = await tb.axi.write(MEM_BYTES + 64, bytes(32))
        assert w.resp == AxiResp.DECERR
    tb.set_master_pauses(None)
    await ClockCycles(tb.clk, 5)
    assert not mon.rd_pending and not mon.wr_pending
    dut._log.info("monitor saw %d bursts", len(mon.done))
    export_func_coverage("axi_mem", "coverage_stress", prefix=COV)
    assert_all_bins_hit(COV)


@cocotb.test(skip="AXI_MEM_LARGE" not in os.environ,
             timeout_time=TIMEOUT_US, timeout_unit="us")
async def large_image(dut):
    """A 64 MiB image: loaded at time 0, reloaded at run time, spot-checked over AXI, dumped whole
    and compared byte for byte. Logs the wall time of the reload and of the dump."""
    tb = Tb(dut)
    await tb.init(latency=2)
    path, base = os.environ["AXI_MEM_LARGE"].rsplit("@", 1)
    base = int(base, 16)
    data = read_image(path)
    rng = rng_for("large")
    for _ in range(16):
        off = rng.randrange(len(data) // 4096) * 4096
        r = await tb.axi.read(base + off, 4096)
        assert r.data == data[off:off + 4096], f"large image differs at offset 0x{off:x}"
    t0 = time.monotonic()
    await tb.pulse(dut.load_req)
    t_load = time.monotonic() - t0
    t0 = time.monotonic()
    got = await tb.dump(base, len(data))
    t_dump = time.monotonic() - t0
    assert got == data, "dump of the 64 MiB image differs"
    dut._log.info("%d MiB image: reload %.2f s, dump %.2f s (wall)", len(data) >> 20, t_load,
                  t_dump)


# negative tests: the model's assertions must catch these master bugs (run by expect_failure)

@cocotb.test(skip=os.environ.get("AXI_MEM_NEG") != "4k",
             timeout_time=TIMEOUT_US, timeout_unit="us")
async def neg_cross_4k(dut):
    tb = Tb(dut)
    await tb.init(master=False)
    await stream_reads(tb, [(0x0001_0FC0, 4)])   # 4 beats from 0xfc0 cross 0x1000


@cocotb.test(skip=os.environ.get("AXI_MEM_NEG") != "wlast",
             timeout_time=TIMEOUT_US, timeout_unit="us")
async def neg_wlast(dut):
    tb = Tb(dut)
    await tb.init(master=False)
    d = dut
    await RisingEdge(tb.clk)
    d.s_axi_awaddr.value = 0x0001_0000
    d.s_axi_awlen.value = 1            # two beats
    d.s_axi_awvalid.value = 1
    while True:
        await ReadOnly()
        if d.s_axi_awready.value == 1:
            break
        await RisingEdge(tb.clk)
    await RisingEdge(tb.clk)
    d.s_axi_awvalid.value = 0
    d.s_axi_wdata.value = 1
    d.s_axi_wstrb.value = (1 << BEAT) - 1
    d.s_axi_wlast.value = 1            # wrong: first of two beats
    d.s_axi_wvalid.value = 1
    await ClockCycles(tb.clk, 20)


@cocotb.test(skip=os.environ.get("AXI_MEM_NEG") != "ar_unstable",
             timeout_time=TIMEOUT_US, timeout_unit="us")
async def neg_ar_unstable(dut):
    tb = Tb(dut)
    await tb.init(master=False, stall=255)   # arready low on 255 of 256 cycles
    d = dut
    await RisingEdge(tb.clk)
    d.s_axi_araddr.value = 0x0001_0000
    d.s_axi_arvalid.value = 1
    while True:
        await ReadOnly()
        waiting = d.s_axi_arready.value == 0
        await RisingEdge(tb.clk)
        if waiting:
            break
    d.s_axi_araddr.value = 0x0001_0040   # wrong: changed while arvalid && !arready
    await ClockCycles(tb.clk, 5)


# --------------------------------------------------------------------------------------------------
# pytest entry points

POSITIVE = ["load_readback", "random_rw", "dump_region", "runtime_load", "debug_port",
            "two_instances", "errors",
            "read_throughput", "write_throughput", "reset_in_traffic", "coverage_stress"]
PARAMS = {"MemMiB": MEM_BYTES >> 20}
# One C++ file: with the split (precompiled-header) build the model compiled slower here.
BUILD_ARGS = ["--output-split", "0"]


def _prepare(tmp: Path) -> tuple[list[str], dict[str, str]]:
    tmp.mkdir(parents=True, exist_ok=True)
    images = []
    for fname, base, size in IMG_SPECS:
        images.append((write_image(tmp / fname, image_bytes(fname, size)), base))
    fname, base, size = RELOAD_SPEC
    reload_path = write_image(tmp / fname, image_bytes(fname, size))
    images.append((reload_path, base))
    plus = load_plusargs(NAME, images)
    fname, sbase, ssize = SINGLE_SPEC
    single = write_image(tmp / fname, image_bytes(fname, ssize))
    plus += [f"+{NAME}_load={single}", f"+{NAME}_load_base={sbase:x}"]
    b_img = write_image(tmp / "memb.bin", image_bytes("memb", 1000))
    plus += load_plusargs(NAME + "b", [(b_img, IMG_SPECS[0][1])])
    dump = tmp / "dump.bin"
    plus.append(dump_plusarg(NAME, dump))
    env_images = [f"{p}@{b:x}" for p, b in images[:-1]] + [f"{single}@{sbase:x}",
                                                           f"{reload_path}@{base:x}"]
    env = {"AXI_MEM_IMAGES": ",".join(env_images), "AXI_MEM_DUMP": str(dump),
           "AXI_MEM_RELOAD": str(reload_path), "AXI_MEM_B_IMAGE": f"{b_img}@{IMG_SPECS[0][1]:x}"}
    return plus, env


def _run(plus: list[str], env: dict[str, str], testcase: list[str], **kw):
    from verif.lib.runner import run_sim

    return run_sim(module="axi_mem", toplevel="tb_axi_mem", parameters=PARAMS, plusargs=plus,
                   extra_build_args=BUILD_ARGS, extra_env=env, testcase=testcase, **kw)


def test_axi_mem(tmp_path):
    plus, env = _prepare(tmp_path)
    _run(plus, env, POSITIVE)


@pytest.mark.parametrize("neg,message", [
    ("4k", "crosses a 4 KiB boundary"),
    ("wlast", "wlast=1 on beat 0 of a 2-beat burst"),
    ("ar_unstable", "AR changed or dropped before arready"),
])
def test_axi_mem_assertions(tmp_path, neg, message):
    """The SVA catch a master that breaks the 4 KiB rule, puts wlast on the wrong beat or changes
    an AR payload before it was accepted."""
    plus, env = _prepare(tmp_path)
    env["AXI_MEM_NEG"] = neg
    res = _run(plus, env, [{"4k": "neg_cross_4k"}.get(neg, f"neg_{neg}")], expect_failure=True,
               run_name=f"neg_{neg}")
    assert not res.ok, "the assertion did not fire"
    assert message in res.log, f"expected '{message}' in the simulator log"


def test_axi_mem_missing_file(tmp_path):
    """A load plusarg naming a file that does not exist stops the simulation with a clear error."""
    plus, env = _prepare(tmp_path)
    plus.append(f"+{NAME}_load9={tmp_path / 'nonexistent.bin'}")
    res = _run(plus, env, ["debug_port"], expect_failure=True, run_name="missing_file")
    assert not res.ok
    assert "cannot open load file" in res.log


def test_axi_mem_large_image(tmp_path):
    """64 MiB image loaded by plusarg, reloaded, dumped whole (the system's weight images)."""
    plus, env = _prepare(tmp_path)
    big = write_image(tmp_path / "big.bin", random.Random(7).randbytes(64 << 20))
    base = 0x0400_0000
    plus += [f"+{NAME}_load15={big}", f"+{NAME}_base15={base:x}"]
    env["AXI_MEM_LARGE"] = f"{big}@{base:x}"
    t0 = time.monotonic()
    _run(plus, env, ["large_image"], run_name="large_image")
    print(f"large image run: {time.monotonic() - t0:.1f} s wall in total")
