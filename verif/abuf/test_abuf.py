"""ll_abuf: cocotb tests and their pytest entry (``make sim MODULE=abuf`` / ``pytest verif/abuf``).

A per-cycle process drives the write stream (random idle cycles, random addresses, bursts of
sequential addresses) and every read port (random requests and addresses, including the address
being written in the same cycle) and checks each port against a Python model of the RAM:
rd_data_o one cycle after a request equals the beat stored before that cycle's write (read-first),
rd_valid_o is the request delayed by one cycle, and rd_data_o holds its value while the port is not
requested. Coverage: every port x {hit the address written in the same cycle, plain read}, first
and last address, write idle/active.
"""

from __future__ import annotations

import random
import re

import cocotb
import pytest
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.reset import reset, start_clock
from verif.lib.runner import run_sim

MODULE = "abuf"


@cocotb.test()
async def random_access(dut):
    """Random writes and reads on every port under random idle patterns; exact against the model."""
    depth = int(dut.Depth.value)
    nports = int(dut.NumReadPorts.value)
    bits = int(dut.DataBits.value)
    abits = max(1, (depth - 1).bit_length())
    rng = random.Random(cocotb.RANDOM_SEED)
    prefix = f"{MODULE}.random_access"
    start_clock(dut.clk_i)
    dut.wr_valid_i.value = 0
    dut.wr_addr_i.value = 0
    dut.wr_data_i.value = 0
    dut.rd_req_i.value = 0
    dut.rd_addr_i.value = 0
    await reset(dut, dut.clk_i, 3)

    @CoverPoint(f"{prefix}.port", xf=lambda p, k, a: p, bins=list(range(nports)))
    @CoverPoint(f"{prefix}.kind", xf=lambda p, k, a: k, bins=["read_during_write", "plain"])
    @CoverPoint(f"{prefix}.addr", xf=lambda p, k, a: a, bins=["first", "last", "other"])
    @CoverCross(f"{prefix}.port_x_kind", items=[f"{prefix}.port", f"{prefix}.kind"])
    def sample_read(port, kind, addr_bin):
        pass

    @CoverPoint(f"{prefix}.write", xf=lambda w: w, bins=["idle", "write_first", "write_last",
                                                        "write_other"])
    def sample_write(w):
        pass

    model: list[int | None] = [None] * depth      # None: never written
    expect: list[int | None] = [None] * nports    # value rd_data_o must show now
    valid_exp = [0] * nports
    checked = 0
    seq_addr = 0
    phases = [(0.0, 0.5), (0.5, 0.2), (0.9, 0.9), (0.2, 1.0), (0.7, 0.05)]  # (write idle, read prob)
    for widle, rprob in phases:
        for _ in range(1500):
            await RisingEdge(dut.clk_i)
            # drive
            wv = rng.random() >= widle
            if rng.random() < 0.5:
                seq_addr = (seq_addr + 1) % depth
                waddr = seq_addr
            else:
                waddr = rng.choice([0, depth - 1, rng.randrange(depth)])
            wdata = rng.getrandbits(bits)
            dut.wr_valid_i.value = int(wv)
            dut.wr_addr_i.value = waddr
            dut.wr_data_i.value = wdata
            req = 0
            addrs = 0
            raddr = []
            for p in range(nports):
                r = rng.random() < rprob
                a = waddr if (wv and rng.random() < 0.2) else rng.choice(
                    [0, depth - 1, rng.randrange(depth), seq_addr])
                req |= int(r) << p
                addrs |= a << (p * abits)
                raddr.append((r, a))
            dut.rd_req_i.value = req
            dut.rd_addr_i.value = addrs
            await ReadOnly()
            # check this cycle's outputs (results of last cycle's requests, or held values)
            rdata = int(dut.rd_data_o.value)
            rvalid = int(dut.rd_valid_o.value)
            assert int(dut.wr_ready_o.value) == 1
            for p in range(nports):
                got = (rdata >> (p * bits)) & ((1 << bits) - 1)
                assert (rvalid >> p) & 1 == valid_exp[p], f"port {p}: rd_valid_o wrong"
                if expect[p] is not None:
                    assert got == expect[p], (f"port {p}: rd_data_o {got:#x} != expected "
                                              f"{expect[p]:#x}")
                    checked += 1
            # model this edge: reads see the old contents (read-first), then the write
            for p, (r, a) in enumerate(raddr):
                valid_exp[p] = int(r)
                if r:
                    expect[p] = model[a]
                    kind = "read_during_write" if (wv and a == waddr) else "plain"
                    sample_read(p, kind, "first" if a == 0 else "last" if a == depth - 1
                                else "other")
            if wv:
                model[waddr] = wdata
                sample_write("write_first" if waddr == 0 else "write_last" if waddr == depth - 1
                             else "write_other")
            else:
                sample_write("idle")
    await RisingEdge(dut.clk_i)
    dut.rd_req_i.value = 0
    dut.wr_valid_i.value = 0
    assert checked > 1000, f"only {checked} read results checked"
    dut._log.info(f"Depth {depth}, {nports} read ports: {checked} read results checked")
    export_func_coverage(MODULE, f"random_access-D{depth}-P{nports}", prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def bad_address(dut):
    """A read beyond Depth must fire the RdAddrInRange assertion (run only by
    test_abuf_bad_address, which expects that failure)."""
    depth = int(dut.Depth.value)
    start_clock(dut.clk_i)
    dut.wr_valid_i.value = 0
    dut.rd_req_i.value = 0
    dut.rd_addr_i.value = 0
    await reset(dut, dut.clk_i, 3)
    await RisingEdge(dut.clk_i)
    dut.rd_req_i.value = 1
    dut.rd_addr_i.value = depth + 5
    for _ in range(5):
        await RisingEdge(dut.clk_i)


@pytest.mark.parametrize("depth,ports", [(512, 3), (300, 1), (64, 4)])
def test_abuf(depth: int, ports: int) -> None:
    run_sim(module=MODULE, toplevel="ll_abuf", parameters={"Depth": depth, "NumReadPorts": ports},
            testcase=["random_access"])


def test_abuf_bad_address() -> None:
    """An out-of-range read address fires the RTL assertion with a clear message."""
    res = run_sim(module=MODULE, toplevel="ll_abuf", parameters={"Depth": 300, "NumReadPorts": 1},
                  testcase=["bad_address"], expect_failure=True)
    assert not res.ok, "an out-of-range address was accepted silently"
    assert re.search(r"Assertion failed in ll_abuf\.\S*RdAddrInRange", res.log), (
        "the failure is not the RdAddrInRange assertion")
