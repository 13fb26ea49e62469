"""ll_axi_rd_mux: cocotb tests and their pytest entry (``make sim MODULE=axi_rd_mux`` /
``pytest verif/axi_rd_mux``).

The mux's slave side is connected to the ``ll_axi_mem_sim`` memory model (through ``tb_axi_rd_mux``),
preloaded with a random image that Python also holds (the mirror), at four bases spread over the
32-bit address space (bursts use every address bit, some start unaligned, some are 128 beats). One cycle-accurate cocotb
process plays all masters: each has its own queue of random INCR bursts, random idle gaps before
each AR, and random rready stalls. Every R beat a master receives is checked against the mirror
(data, rlast, rresp, order); per master, the number of other masters' grants while it waits is
checked against NumMasters-1 (the RTL asserts it too). A bandwidth test measures the fraction of
cycles carrying an R beat between the first and the last beat when every master keeps bursts queued
and nothing stalls: it must be 100%.
"""

from __future__ import annotations

import os
import random
from collections import deque
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.runner import BUILD_ROOT, run_sim

MODULE = "axi_rd_mux"
BEAT = 32
ADDR_BITS = 32
IMAGE_BEATS = 8192            # 256 KiB image, loaded at every base of REGIONS
PAGE_BEATS = 4096 // BEAT     # bursts never cross a 4 KiB page
# the image is loaded at these byte addresses (sparse memory): bursts use every address bit
REGIONS = (0x0000_0000, 0x5554_0000, 0xAAA8_0000, 0xFFFC_0000)


def image_bytes() -> bytes:
    return random.Random("axi_rd_mux-image").randbytes(IMAGE_BEATS * BEAT)


def beat_of(image: bytes, idx: int) -> int:
    """The beat at global beat index idx (every region holds a copy of the image)."""
    idx %= IMAGE_BEATS
    return int.from_bytes(image[idx * BEAT:(idx + 1) * BEAT], "little")


def random_burst(rng: random.Random, max_len: int = 32) -> tuple[int, int, int]:
    """(first global beat index, beats, byte offset of the start address) of a random INCR burst
    inside one copy of the image and one 4 KiB page; 1 in 4 starts unaligned (the first beat is the
    one holding the address)."""
    kind = rng.random()
    n = 1 if kind < 0.15 else rng.randint(2, 15) if kind < 0.7 else rng.randint(min(16, max_len), max_len)
    start = rng.randrange(IMAGE_BEATS - n)
    page_end = (start // PAGE_BEATS + 1) * PAGE_BEATS
    n = min(n, page_end - start)
    off = rng.randrange(1, BEAT) if rng.random() < 0.25 else 0
    return rng.choice(REGIONS) // BEAT + start, n, off


def len_bin(n: int) -> str:
    return "single" if n == 1 else "short" if n < 16 else "long"


class Masters:
    """All masters, driven together from one per-cycle process (their ports are packed vectors)."""

    def __init__(self, dut, rng: random.Random, image: bytes) -> None:
        self.dut = dut
        self.rng = rng
        self.image = image
        self.n = int(dut.NumMasters.value)
        self.max_out = int(dut.MaxOutstanding.value)
        self.bursts = [deque() for _ in range(self.n)]     # (start, beats) still to request
        self.pending: list[tuple[int, int] | None] = [None] * self.n
        self.expected = [deque() for _ in range(self.n)]   # (data, last, resp) beats not yet received
        self.err_addr: int | None = None                    # the slave's SLVERR address (enabled)
        self.err_beats = 0                                  # SLVERR beats received
        self.err_expected = 0                               # SLVERR beats of the granted bursts
        self.waited = [0] * self.n                          # others' grants while waiting
        self.max_waited = 0
        self.idle_p = 0.0
        self.stall_p = [0.0] * self.n
        self.beats = [0] * self.n
        self.grants = [0] * self.n
        self.cycle = 0
        self.r_cycles: list[int] = []                       # cycles with an R handshake
        self.grant_order: list[int] = []
        self.first_ar_cycle: int | None = None
        self.prev_r_master: int | None = None
        self.prev_r_cycle = -10
        self.prefix = ""
        self._cov = None

    def set_coverage(self, prefix: str) -> None:
        n, depth = self.n, self.max_out
        masters = list(range(n))

        @CoverPoint(f"{prefix}.grant_master", xf=lambda m, b, w: m, bins=masters)
        @CoverPoint(f"{prefix}.burst_len", xf=lambda m, b, w: b, bins=["single", "short", "long"])
        @CoverPoint(f"{prefix}.contended", xf=lambda m, b, w: w > 0, bins=[False, True])
        @CoverCross(f"{prefix}.master_x_len", items=[f"{prefix}.grant_master", f"{prefix}.burst_len"])
        def sample_grant(m, b, w):
            pass

        fills = ["empty", "mid", "full"]

        @CoverPoint(f"{prefix}.outstanding", xf=lambda f: f, bins=fills)
        def sample_fill(f):
            pass

        @CoverPoint(f"{prefix}.r_switch", xf=lambda s: s,
                    bins=["same_master", "other_master_no_bubble"])
        def sample_switch(s):
            pass

        @CoverPoint(f"{prefix}.r_stalled_master", xf=lambda m: m, bins=masters)
        def sample_stall(m):
            pass

        self._cov = (sample_grant, lambda c: sample_fill(
            "empty" if c == 0 else "full" if c == depth else "mid"), sample_switch, sample_stall)

    def queue(self, m: int, bursts) -> None:
        self.bursts[m].extend(bursts)

    @property
    def busy(self) -> bool:
        return any(self.bursts) or any(p is not None for p in self.pending) or any(self.expected)

    def _drive(self) -> None:
        addr = 0
        length = 0
        valid = 0
        ready = 0
        for m in range(self.n):
            if self.pending[m] is None and self.bursts[m] and self.rng.random() >= self.idle_p:
                self.pending[m] = self.bursts[m].popleft()
            p = self.pending[m]
            if p is not None:
                valid |= 1 << m
                addr |= (p[0] * BEAT + (p[2] if len(p) > 2 else 0)) << (m * ADDR_BITS)
                length |= (p[1] - 1) << (m * 8)
            if self.rng.random() >= self.stall_p[m]:
                ready |= 1 << m
        d = self.dut
        d.m_arvalid_i.value = valid
        d.m_araddr_i.value = addr
        d.m_arlen_i.value = length
        d.m_rready_i.value = ready

    def _sample(self) -> None:
        d = self.dut
        self.cycle += 1
        arvalid = int(d.m_arvalid_i.value)
        arready = int(d.m_arready_o.value)
        rvalid = int(d.m_rvalid_o.value)
        rready = int(d.m_rready_i.value)
        granted = arvalid & arready
        if granted:
            assert granted & (granted - 1) == 0, f"two AR grants in one cycle: {granted:b}"
            g = granted.bit_length() - 1
            start, beats = self.pending[g][:2]
            # a burst whose beats cover the error address: SLVERR and zero data on every beat
            err = self.err_addr is not None and start * BEAT <= self.err_addr < (start + beats) * BEAT
            self.err_expected += beats if err else 0
            for k in range(beats):
                self.expected[g].append((0 if err else beat_of(self.image, start + k),
                                         int(k == beats - 1), 2 if err else 0))
            if self._cov:
                self._cov[0](g, len_bin(beats), self.waited[g])
            self.grants[g] += 1
            self.grant_order.append(g)
            if self.first_ar_cycle is None:
                self.first_ar_cycle = self.cycle
            self.pending[g] = None
            self.waited[g] = 0
            for m in range(self.n):
                if m != g and (arvalid >> m) & 1:
                    self.waited[m] += 1
                    self.max_waited = max(self.max_waited, self.waited[m])
                    assert self.waited[m] <= self.n - 1, (
                        f"master {m} waited {self.waited[m]} grants of others (> NumMasters-1)")
        if self._cov:
            self._cov[1](int(d.outstanding_o.value))
        if rvalid:
            assert rvalid & (rvalid - 1) == 0, f"rvalid to two masters: {rvalid:b}"
            m = rvalid.bit_length() - 1
            if (rready >> m) & 1:
                data = int(d.m_rdata_o.value)
                last = int(d.m_rlast_o.value)
                resp = int(d.m_rresp_o.value)
                assert self.expected[m], f"master {m}: R beat with no burst outstanding"
                exp_data, exp_last, exp_resp = self.expected[m].popleft()
                assert resp == exp_resp, f"master {m}: rresp {resp}, expected {exp_resp}"
                self.err_beats += resp != 0
                assert data == exp_data, (f"master {m} beat {self.beats[m]}: data {data:#x} "
                                          f"!= expected {exp_data:#x}")
                assert last == exp_last, f"master {m} beat {self.beats[m]}: rlast {last} != {exp_last}"
                self.beats[m] += 1
                self.r_cycles.append(self.cycle)
                if self._cov and self.prev_r_master is not None:
                    if self.prev_r_master == m:
                        self._cov[2]("same_master")
                    elif self.prev_r_cycle == self.cycle - 1:
                        self._cov[2]("other_master_no_bubble")
                self.prev_r_master = m
                self.prev_r_cycle = self.cycle
            elif self._cov:
                self._cov[3](m)

    async def run(self, timeout: int = 200_000) -> None:
        """Drive until every queued burst is requested and every beat received."""
        for _ in range(timeout):
            await RisingEdge(self.dut.clk_i)
            if not self.busy:
                self.dut.m_arvalid_i.value = 0
                return
            self._drive()
            await ReadOnly()
            self._sample()
        raise AssertionError(f"traffic not done in {timeout} cycles: pending {self.pending}, "
                             f"beats left {[len(e) for e in self.expected]}")


async def setup(dut, latency: int, stall_prob: int, seed: int) -> Masters:
    start_clock(dut.clk_i)
    dut.m_arvalid_i.value = 0
    dut.m_araddr_i.value = 0
    dut.m_arlen_i.value = 0
    dut.m_rready_i.value = 0
    dut.cfg_read_latency_i.value = latency
    dut.cfg_stall_prob_i.value = stall_prob
    dut.cfg_seed_i.value = seed
    dut.cfg_err_en_i.value = 0
    dut.cfg_err_addr_i.value = 0
    await reset(dut, dut.clk_i, 4)
    await RisingEdge(dut.clk_i)
    image = Path(os.environ["RDMUX_IMAGE"]).read_bytes()
    assert image == image_bytes(), "image file differs from the Python mirror"
    return Masters(dut, random.Random(f"{cocotb.RANDOM_SEED}-{latency}-{stall_prob}"), image)


@cocotb.test()
async def random_traffic(dut):
    """Random bursts from every master, random idle/rready stalls, several memory latency/stall
    settings; every beat exact; fairness bound; coverage bins all hit."""
    rng = random.Random(cocotb.RANDOM_SEED)
    n = int(dut.NumMasters.value)
    depth = int(dut.MaxOutstanding.value)
    prefix = f"{MODULE}.random_traffic"
    masters = None
    # (memory latency, memory stall /256, master idle prob, rready stall prob)
    settings = [(1, 0, 0.0, 0.0), (1, 60, 0.3, 0.2), (8, 0, 0.1, 0.5), (24, 30, 0.0, 0.05),
                (3, 128, 0.5, 0.3), (40, 0, 0.0, 0.0)]
    total = 0
    for lat, stall, idle_p, stall_p in settings:
        masters = await setup(dut, lat, stall, rng.getrandbits(31))
        masters.set_coverage(prefix)
        masters.idle_p = idle_p
        masters.stall_p = [stall_p * rng.random() * 2 for _ in range(n)]
        for m in range(n):
            masters.queue(m, [random_burst(rng) for _ in range(rng.randint(10, 25))])
            # one single-beat burst per master and setting, so the single bins never hang on the seed
            masters.queue(m, [(random_burst(rng)[0], 1)])
            # the longest burst a 4 KiB page allows (128 beats), in the last copy of the image
            masters.queue(m, [(REGIONS[-1] // BEAT + PAGE_BEATS * rng.randrange(IMAGE_BEATS // PAGE_BEATS),
                               PAGE_BEATS)])
        await masters.run()
        total += sum(masters.beats)
        dut._log.info(f"latency {lat} stall {stall}/256 idle {idle_p} rready-stall {stall_p}: "
                      f"grants {masters.grants}, beats {masters.beats}, max others' grants while "
                      f"waiting {masters.max_waited} (bound {n - 1}), cycles {masters.cycle}")
    assert total > 0
    export_func_coverage(MODULE, f"random_traffic-M{n}-D{depth}", prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def bandwidth(dut):
    """No stalls anywhere, every master keeps bursts queued: an R beat on 100% of the cycles from
    the first beat to the last (when MaxOutstanding bursts cover the latency); the grants follow strict
    round robin; the first beat arrives exactly `latency` cycles after the first AR (zero-latency
    AR/R pass-through)."""
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    n = int(dut.NumMasters.value)
    for latency, blen in [(1, 1), (1, 4), (8, 16), (20, 16)]:
        masters = await setup(dut, latency, 0, 1)
        for m in range(n):
            bursts = []
            for _ in range(12):
                start = rng.randrange(0, IMAGE_BEATS - blen)
                start -= start % blen if PAGE_BEATS % blen == 0 else 0
                bursts.append((start, blen))
            masters.queue(m, bursts)
        await masters.run()
        beats = sum(masters.beats)
        span = masters.r_cycles[-1] - masters.r_cycles[0] + 1
        dut._log.info(f"latency {latency}, bursts of {blen}: {beats} beats in {span} cycles "
                      f"({100.0 * beats / span:.1f}% of cycles), grants {masters.grants}")
        outstanding_needed = -(-latency // blen)
        if outstanding_needed <= int(dut.MaxOutstanding.value) - 1:
            assert beats == span, (f"latency {latency}, bursts of {blen}: {beats} beats in {span} "
                                   f"cycles: not 100% bandwidth")
        # every master always requesting: strict round robin, one master after the other
        assert masters.grant_order == [k % n for k in range(len(masters.grant_order))], (
            f"grant order not round robin: {masters.grant_order}")
        first = masters.r_cycles[0] - masters.first_ar_cycle
        assert first == latency, f"first R beat {first} cycles after the first AR, expected {latency}"


@cocotb.test()
async def stalled_master_blocks_only_in_order(dut):
    """A master that never raises rready blocks the R channel (in-order AXI) but loses nothing:
    once it drains, every master gets its data."""
    n = int(dut.NumMasters.value)
    masters = await setup(dut, 4, 0, 7)
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    for m in range(n):
        masters.queue(m, [random_burst(rng, 8) for _ in range(4)])
    masters.stall_p = [1.0] + [0.0] * (n - 1)
    # run 300 cycles with master 0 fully stalled: the channel blocks at master 0's first burst
    for _ in range(300):
        await RisingEdge(dut.clk_i)
        masters._drive()
        await ReadOnly()
        masters._sample()
    assert masters.beats[0] == 0
    stuck = sum(masters.beats)
    assert int(dut.outstanding_o.value) > 0
    masters.stall_p = [0.0] * n
    await masters.run()
    assert all(b > 0 for b in masters.beats), masters.beats
    dut._log.info(f"beats delivered while master 0 stalled: {stuck}; finally {masters.beats}")


@cocotb.test()
async def slave_error_responses(dut):
    """The slave answers SLVERR (zero data) on every beat of the bursts covering an error address:
    the response and data reach the right master, beat by beat; every other burst is exact."""
    n = int(dut.NumMasters.value)
    masters = await setup(dut, 2, 20, 11)
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    err_beat = REGIONS[2] // BEAT + 3 * PAGE_BEATS + 17
    masters.err_addr = err_beat * BEAT + 5
    dut.cfg_err_addr_i.value = masters.err_addr
    dut.cfg_err_en_i.value = 1
    for m in range(n):
        bursts = [random_burst(rng, 16) for _ in range(6)]
        bursts.insert(rng.randrange(len(bursts)), (err_beat - m, 4 + m, 0))  # covers the address
        masters.queue(m, bursts)
    masters.stall_p = [0.2] * n
    await masters.run()
    assert masters.err_beats == masters.err_expected >= sum(4 + m for m in range(n)), (
        masters.err_beats, masters.err_expected)
    dut.cfg_err_en_i.value = 0


# --------------------------------------------------------------------------------------------------
# pytest entry

@pytest.mark.parametrize("masters,outstanding", [(2, 8), (3, 4), (4, 2)])
def test_axi_rd_mux(masters: int, outstanding: int) -> None:
    img_dir = BUILD_ROOT / MODULE
    img_dir.mkdir(parents=True, exist_ok=True)
    img = img_dir / "image.bin"
    data = image_bytes()
    if not img.is_file() or img.read_bytes() != data:
        img.write_bytes(data)
    run_sim(module=MODULE, toplevel="tb_axi_rd_mux",
            parameters={"NumMasters": masters, "MaxOutstanding": outstanding, "AddrBits": ADDR_BITS},
            plusargs=[f"+mem_load={img}"] + [a for k, base in enumerate(REGIONS[1:], 1)
                                             for a in (f"+mem_load{k}={img}", f"+mem_base{k}={base:x}")],
            extra_env={"RDMUX_IMAGE": str(img)},
            extra_build_args=["--output-split", "0"])
