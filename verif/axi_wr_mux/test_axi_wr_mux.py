"""ll_axi_wr_mux: cocotb tests and their pytest entry (``make sim MODULE=axi_wr_mux`` /
``pytest verif/axi_wr_mux``).

The mux's slave side is connected to the ``ll_axi_mem_sim`` memory model (through ``tb_axi_wr_mux``).
One cycle-accurate cocotb process plays all masters: each writes random INCR bursts (random data
and byte strobes) into its own region, presents AW with random idle gaps and its W beats with
random gaps (W may be presented before its AW is granted: the mux must hold it), and stalls bready
at random. Checked: every master gets exactly one OKAY B per burst, never before it sent the
burst's wlast; the fairness bound on AW grants; the final memory content, read back through the
model's debug port, equals a Python mirror byte for byte; and with no stalls and AWs issued ahead,
the slave W channel carries a beat on 100% of the cycles from the first W beat to the last.
"""

from __future__ import annotations

import random
from collections import deque

import cocotb
import pytest
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim

MODULE = "axi_wr_mux"
BEAT = 32
ADDR_BITS = 32
REGION_BEATS = 512            # each master writes beats [m * REGION_BEATS, (m + 1) * REGION_BEATS) above a base
# bases (byte addresses) of the masters' regions, one per random_traffic setting (sparse memory):
# bursts use every address bit
BASES = (0x0000_0000, 0x5555_4000, 0xAAAA_8000, 0xFFFF_0000, 0x0000_0000)
PAGE_BEATS = 4096 // BEAT
FULL_STRB = (1 << BEAT) - 1


def len_bin(n: int) -> str:
    return "single" if n == 1 else "short" if n < 16 else "long"


class Masters:
    def __init__(self, dut, rng: random.Random) -> None:
        self.dut = dut
        self.rng = rng
        self.n = int(dut.NumMasters.value)
        self.aw_q = [deque() for _ in range(self.n)]       # (start beat, beats, byte offset) to request
        self.base = 0                                      # beat index of the regions' base
        self.err_addr: int | None = None                   # the slave's SLVERR address (enabled)
        self.b_exp = [deque() for _ in range(self.n)]      # expected bresp per burst, in order
        self.b_err = 0                                     # SLVERR responses received
        self.err_bursts = 0                                # bursts covering the error address
        self.w_q = [deque() for _ in range(self.n)]        # (data, strb, last) beats to send
        self.aw_pending: list[tuple[int, int] | None] = [None] * self.n
        self.w_cur: list[tuple[int, int, int] | None] = [None] * self.n
        self.bursts_total = [0] * self.n
        self.wlast_sent = [0] * self.n
        self.b_got = [0] * self.n
        self.waited = [0] * self.n
        self.max_waited = 0
        self.mirror: dict[int, bytearray] = {}
        self.aw_idle_p = 0.0
        self.w_idle_p = 0.0
        self.bready_stall_p = 0.0
        self.cycle = 0
        self.w_cycles: list[int] = []
        self.prev_w_master: int | None = None
        self.prev_w_cycle = -10
        self.grant_order: list[int] = []
        self.aw_granted = [0] * self.n
        self._cov = None

    def set_coverage(self, prefix: str) -> None:
        masters = list(range(self.n))

        @CoverPoint(f"{prefix}.grant_master", xf=lambda m, b, w: m, bins=masters)
        @CoverPoint(f"{prefix}.burst_len", xf=lambda m, b, w: b, bins=["single", "short", "long"])
        @CoverPoint(f"{prefix}.contended", xf=lambda m, b, w: w > 0, bins=[False, True])
        @CoverCross(f"{prefix}.master_x_len", items=[f"{prefix}.grant_master", f"{prefix}.burst_len"])
        def sample_grant(m, b, w):
            pass

        @CoverPoint(f"{prefix}.w_switch", xf=lambda s: s, bins=["same_master",
                                                                "other_master_no_bubble"])
        def sample_switch(s):
            pass

        @CoverPoint(f"{prefix}.w_before_aw", xf=lambda m: m, bins=masters)
        def sample_early_w(m):
            pass

        @CoverPoint(f"{prefix}.b_stalled_master", xf=lambda m: m, bins=masters)
        def sample_bstall(m):
            pass

        self._cov = (sample_grant, sample_switch, sample_early_w, sample_bstall)

    def add_burst(self, m: int, start: int, beats: int, random_strb: bool, off: int = 0) -> None:
        """A burst of `beats` beats from global beat index `start`; `off`: byte offset of the start
        address (unaligned: the first beat is the one holding it, the strobes decide what is written)."""
        self.aw_q[m].append((start, beats, off))
        self.bursts_total[m] += 1
        # a burst whose beats cover the error address: SLVERR, nothing written
        err = self.err_addr is not None and start * BEAT <= self.err_addr < (start + beats) * BEAT
        self.b_exp[m].append(2 if err else 0)
        self.err_bursts += err
        for k in range(beats):
            data = self.rng.getrandbits(8 * BEAT)
            strb = self.rng.getrandbits(BEAT) if random_strb else FULL_STRB
            self.w_q[m].append((data, strb, int(k == beats - 1)))
            line = self.mirror.setdefault(start + k, bytearray(BEAT))
            if err:
                continue
            raw = data.to_bytes(BEAT, "little")
            for byte in range(BEAT):
                if (strb >> byte) & 1:
                    line[byte] = raw[byte]

    def random_bursts(self, m: int, count: int, random_strb: bool) -> None:
        for _ in range(count):
            kind = self.rng.random()
            n = 1 if kind < 0.15 else self.rng.randint(2, 15) if kind < 0.7 else \
                self.rng.randint(16, 32)
            start = self.base + m * REGION_BEATS + self.rng.randrange(REGION_BEATS - n)
            n = min(n, (start // PAGE_BEATS + 1) * PAGE_BEATS - start)
            off = self.rng.randrange(1, BEAT) if self.rng.random() < 0.25 else 0
            self.add_burst(m, start, n, random_strb, off)

    @property
    def busy(self) -> bool:
        return any(self.b_got[m] < self.bursts_total[m] for m in range(self.n))

    def _drive(self) -> None:
        rng = self.rng
        awvalid = awaddr = awlen = wvalid = wdata = wstrb = wlast = bready = 0
        for m in range(self.n):
            if self.aw_pending[m] is None and self.aw_q[m] and rng.random() >= self.aw_idle_p:
                self.aw_pending[m] = self.aw_q[m].popleft()
            if self.aw_pending[m] is not None:
                s, b, off = self.aw_pending[m]
                awvalid |= 1 << m
                awaddr |= (s * BEAT + off) << (m * ADDR_BITS)
                awlen |= (b - 1) << (m * 8)
            if self.w_cur[m] is None and self.w_q[m] and rng.random() >= self.w_idle_p:
                self.w_cur[m] = self.w_q[m].popleft()
            if self.w_cur[m] is not None:
                d, st, la = self.w_cur[m]
                wvalid |= 1 << m
                wdata |= d << (m * 8 * BEAT)
                wstrb |= st << (m * BEAT)
                wlast |= la << m
            if rng.random() >= self.bready_stall_p:
                bready |= 1 << m
        d = self.dut
        d.m_awvalid_i.value = awvalid
        d.m_awaddr_i.value = awaddr
        d.m_awlen_i.value = awlen
        d.m_wvalid_i.value = wvalid
        d.m_wdata_i.value = wdata
        d.m_wstrb_i.value = wstrb
        d.m_wlast_i.value = wlast
        d.m_bready_i.value = bready

    def _sample(self) -> None:
        d = self.dut
        self.cycle += 1
        awvalid = int(d.m_awvalid_i.value)
        awready = int(d.m_awready_o.value)
        wvalid = int(d.m_wvalid_i.value)
        wready = int(d.m_wready_o.value)
        bvalid = int(d.m_bvalid_o.value)
        bready = int(d.m_bready_i.value)
        granted = awvalid & awready
        if granted:
            assert granted & (granted - 1) == 0
            g = granted.bit_length() - 1
            if self._cov:
                self._cov[0](g, len_bin(self.aw_pending[g][1]), self.waited[g])
            self.grant_order.append(g)
            self.aw_granted[g] += 1
            self.aw_pending[g] = None
            self.waited[g] = 0
            for m in range(self.n):
                if m != g and (awvalid >> m) & 1:
                    self.waited[m] += 1
                    self.max_waited = max(self.max_waited, self.waited[m])
                    assert self.waited[m] <= self.n - 1, (
                        f"master {m} waited {self.waited[m]} grants of others (> NumMasters-1)")
        if bvalid:  # before this cycle's W: a B never answers a wlast of the same cycle
            assert bvalid & (bvalid - 1) == 0, f"bvalid to two masters: {bvalid:b}"
            m = bvalid.bit_length() - 1
            if (bready >> m) & 1:
                resp, exp = int(d.m_bresp_o.value), self.b_exp[m].popleft()
                assert resp == exp, f"master {m}: bresp {resp}, expected {exp}"
                self.b_err += resp != 0
                self.b_got[m] += 1
                assert self.b_got[m] <= self.wlast_sent[m], (
                    f"master {m}: B number {self.b_got[m]} before its wlast")
            elif self._cov:
                self._cov[3](m)
        assert wready & (wready - 1) == 0, f"wready to two masters: {wready:b}"
        for m in range(self.n):
            # W offered for a burst whose AW has not been granted yet: the mux must hold it
            if (wvalid >> m) & 1 and self.aw_granted[m] == self.wlast_sent[m]:
                assert not (wready >> m) & 1, f"master {m}: W accepted before its AW"
                if self._cov:
                    self._cov[2](m)
        hs = wvalid & wready
        if hs:
            m = hs.bit_length() - 1
            if self.w_cur[m][2]:
                self.wlast_sent[m] += 1
            self.w_cur[m] = None
            self.w_cycles.append(self.cycle)
            if self._cov and self.prev_w_master is not None:
                if self.prev_w_master == m:
                    self._cov[1]("same_master")
                elif self.prev_w_cycle == self.cycle - 1:
                    self._cov[1]("other_master_no_bubble")
            self.prev_w_master = m
            self.prev_w_cycle = self.cycle
    async def run(self, timeout: int = 200_000) -> None:
        for _ in range(timeout):
            await RisingEdge(self.dut.clk_i)
            if not self.busy:
                self.dut.m_awvalid_i.value = 0
                self.dut.m_wvalid_i.value = 0
                return
            self._drive()
            await ReadOnly()
            self._sample()
        raise AssertionError(f"writes not done in {timeout} cycles: B {self.b_got} of "
                             f"{self.bursts_total}, wlast sent {self.wlast_sent}")

    async def check_memory(self, only_written: bool = False) -> int:
        """Read every beat of every region (or only the beats in the mirror) through the debug port
        (registered: the beat of the previous cycle's address) and compare with the mirror;
        returns the number of beats compared."""
        d = self.dut
        addrs = sorted(self.mirror) if only_written else [self.base + k for k in range(self.n * REGION_BEATS)]
        prev = None
        for a in addrs + [None]:
            await RisingEdge(d.clk_i)
            if a is not None:
                d.dbg_addr_i.value = a * BEAT
            await ReadOnly()
            if prev is not None:
                got = int(d.dbg_rdata_o.value)
                exp = int.from_bytes(self.mirror.get(prev, bytes(BEAT)), "little")
                assert got == exp, f"memory beat {prev}: {got:#x} != mirror {exp:#x}"
            prev = a
        await RisingEdge(d.clk_i)
        return len(addrs)


async def setup(dut, stall_prob: int, seed: int, mirror: dict | None = None) -> Masters:
    """Reset the DUT (the memory keeps its content: pass the previous mirror on)."""
    start_clock(dut.clk_i)
    for name in ("m_awvalid_i", "m_awaddr_i", "m_awlen_i", "m_wvalid_i", "m_wdata_i", "m_wstrb_i",
                 "m_wlast_i", "m_bready_i", "dbg_addr_i"):
        getattr(dut, name).value = 0
    dut.cfg_read_latency_i.value = 1
    dut.cfg_stall_prob_i.value = stall_prob
    dut.cfg_seed_i.value = seed
    dut.cfg_err_en_i.value = 0
    dut.cfg_err_addr_i.value = 0
    await reset(dut, dut.clk_i, 4)
    await RisingEdge(dut.clk_i)
    masters = Masters(dut, random.Random(f"{cocotb.RANDOM_SEED}-{stall_prob}-{seed}"))
    if mirror is not None:
        masters.mirror = mirror
    return masters


@cocotb.test()
async def random_traffic(dut):
    """Random bursts and strobes, random AW/W idle, bready stalls, memory stalls; B and memory
    content exact; fairness; coverage."""
    rng = random.Random(cocotb.RANDOM_SEED)
    n = int(dut.NumMasters.value)
    prefix = f"{MODULE}.random_traffic"
    # (memory stall /256, AW idle, W idle, bready stall)
    # the last setting holds AW back while W is always offered, so every master's W arrives before
    # its AW (the w_before_aw bins) whatever the seed
    settings = [(0, 0.0, 0.0, 0.0), (60, 0.3, 0.2, 0.2), (0, 0.1, 0.5, 0.5), (128, 0.5, 0.1, 0.1),
                (0, 0.9, 0.0, 0.0)]
    mirror: dict[int, bytearray] = {}
    for (stall, aw_idle, w_idle, b_stall), base in zip(settings, BASES):
        masters = await setup(dut, stall, rng.getrandbits(31), mirror)
        masters.set_coverage(prefix)
        masters.aw_idle_p, masters.w_idle_p, masters.bready_stall_p = aw_idle, w_idle, b_stall
        masters.base = base // BEAT
        for m in range(n):
            masters.random_bursts(m, rng.randint(8, 16), random_strb=rng.random() < 0.5)
            # one single-beat burst per master and setting, so the single bins never hang on the seed
            masters.add_burst(m, masters.base + m * REGION_BEATS + rng.randrange(REGION_BEATS), 1,
                              rng.random() < 0.5)
            # the longest burst a 4 KiB page allows (128 beats)
            masters.add_burst(m, masters.base + m * REGION_BEATS + PAGE_BEATS, PAGE_BEATS, False)
        await masters.run()
        beats = await masters.check_memory()
        dut._log.info(f"stall {stall}/256 aw-idle {aw_idle} w-idle {w_idle} b-stall {b_stall}: "
                      f"bursts {masters.bursts_total}, B {masters.b_got}, {beats} memory beats "
                      f"compared, max others' grants while waiting {masters.max_waited} "
                      f"(bound {n - 1}), cycles {masters.cycle}")
    export_func_coverage(MODULE, f"random_traffic-M{n}-D{int(dut.MaxOutstanding.value)}",
                         prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def bandwidth(dut):
    """No stalls, W always offered: the slave W channel carries a beat on every cycle from the first
    W beat to the last, across bursts of different masters (when MaxOutstanding >= 4); grants
    strictly round robin; the written beats read back exact."""
    n = int(dut.NumMasters.value)
    mirror: dict[int, bytearray] = {}
    for blen in (1, 4, 16):
        masters = await setup(dut, 0, 1, mirror)
        for m in range(n):
            for k in range(10):
                masters.add_burst(m, m * REGION_BEATS + (k * blen) % (REGION_BEATS - blen), blen,
                                  False)
        await masters.run()
        span = masters.w_cycles[-1] - masters.w_cycles[0] + 1
        beats = len(masters.w_cycles)
        dut._log.info(f"bursts of {blen}: {beats} W beats in {span} cycles "
                      f"({100.0 * beats / span:.1f}%)")
        # 100% needs MaxOutstanding to cover the B round trip of short bursts (docs/node_glue.md)
        if int(dut.MaxOutstanding.value) >= 4:
            assert beats == span, f"bursts of {blen}: {beats} W beats in {span} cycles: not 100%"
        assert masters.grant_order == [k % n for k in range(len(masters.grant_order))]
        # the memory still holds random_traffic's data: compare the beats written here
        await masters.check_memory(only_written=True)


@cocotb.test()
async def slave_error_responses(dut):
    """The slave answers SLVERR to the bursts covering an error address and discards their data:
    the response reaches the right master in order; those beats stay unwritten (read back zero, in
    a region never written before), every other burst is written exactly."""
    n = int(dut.NumMasters.value)
    masters = await setup(dut, 20, 13, {})
    masters.base = 0x1234_0000 // BEAT
    masters.err_addr = (masters.base + 200) * BEAT + 7
    dut.cfg_err_addr_i.value = masters.err_addr
    dut.cfg_err_en_i.value = 1
    masters.bready_stall_p = 0.2
    for m in range(n):
        masters.random_bursts(m, 5, random_strb=True)
        masters.add_burst(m, masters.base + 200 - m, m + 1, False)   # covers the error address
        masters.random_bursts(m, 2, random_strb=False)             # and OKAY again after it
    await masters.run()
    assert masters.b_err == masters.err_bursts >= n, (masters.b_err, masters.err_bursts)
    assert all(not q for q in masters.b_exp)
    await masters.check_memory(only_written=True)
    dut.cfg_err_en_i.value = 0


@pytest.mark.parametrize("masters,outstanding", [(2, 8), (3, 4), (4, 2)])
def test_axi_wr_mux(masters: int, outstanding: int) -> None:
    run_sim(module=MODULE, toplevel="tb_axi_wr_mux",
            parameters={"NumMasters": masters, "MaxOutstanding": outstanding, "AddrBits": ADDR_BITS},
            extra_build_args=["--output-split", "0"])
