"""ll_fifo: cocotb tests and their pytest entry (``make sim MODULE=fifo`` / ``pytest verif/fifo``).

Checks: bit-exact in-order data under every idle x back-pressure pattern pair (named and random),
reset in the middle of traffic, throughput (one beat per cycle unstalled, latency 1), the input
protocol assertion firing on a deliberate violation, and functional coverage (fill levels x
operation, patterns) with every bin required hit.
"""

from __future__ import annotations

import itertools
import os
import random

import cocotb
import pytest
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb_coverage.coverage import CoverCross, CoverPoint

from verif.lib.coverage import assert_all_bins_hit, export_func_coverage
from verif.lib.passthrough import PassthroughTb, check_no_comb_paths
from verif.lib.reset import start_clock
from verif.lib.streams import PATTERNS, make_pattern

MODULE = "fifo"
PATTERN_NAMES = [*PATTERNS, "random_30", "random_70"]


def _params(dut) -> tuple[int, int]:
    return int(dut.Width.value), int(dut.Depth.value)


def _fill_bin(count: int, depth: int) -> str:
    if count == 0:
        return "empty"
    if count == depth:
        return "full"
    if count == depth - 1:
        return "almost_full"
    if count == 1:
        return "one"
    return "mid"


def _fill_bins(depth: int) -> list[str]:
    bins = ["empty", "one", "almost_full", "full"] if depth >= 3 else ["empty", "almost_full", "full"]
    if depth >= 4:
        bins.insert(2, "mid")
    return bins


async def _setup(dut) -> PassthroughTb:
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.out_ready_i.value = 0
    dut.rst_ni.value = 0
    tb = PassthroughTb(dut.clk_i, dut.rst_ni,
                       (dut.in_valid_i, dut.in_ready_o, dut.in_data_i),
                       (dut.out_valid_o, dut.out_ready_i, dut.out_data_o), name="fifo")
    await tb.reset(4)
    return tb


def _start_coverage(dut, prefix: str, get_patterns):
    """Sample fill level x operation every cycle, and the pattern pair of every accepted beat."""
    _, depth = _params(dut)
    ops = ["none", "push", "pop", "push_pop", "blocked_full"]
    fills = _fill_bins(depth)
    # impossible by construction: pop or push_pop while empty, push or blocked while not full...
    ignore = [("empty", "pop"), ("empty", "push_pop"), ("full", "push"), ("full", "push_pop")]
    ignore += [(f, "blocked_full") for f in fills if f != "full"]

    @CoverPoint(f"{prefix}.fill", xf=lambda c, o: _fill_bin(c, depth), bins=fills)
    @CoverPoint(f"{prefix}.op", xf=lambda c, o: o, bins=ops)
    @CoverCross(f"{prefix}.fill_x_op", items=[f"{prefix}.fill", f"{prefix}.op"], ign_bins=ignore)
    def sample_cycle(count, op):
        pass

    @CoverPoint(f"{prefix}.idle_pattern", xf=lambda i, b: i, bins=PATTERN_NAMES)
    @CoverPoint(f"{prefix}.bp_pattern", xf=lambda i, b: b, bins=PATTERN_NAMES)
    def sample_beat(idle, bp):
        pass

    async def sampler():
        while True:
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            if not dut.rst_ni.value:
                continue
            push = bool(dut.in_valid_i.value) and bool(dut.in_ready_o.value)
            pop = bool(dut.out_valid_o.value) and bool(dut.out_ready_i.value)
            blocked = bool(dut.in_valid_i.value) and not bool(dut.in_ready_o.value)
            op = ("push_pop" if push and pop else "push" if push else "pop" if pop
                  else "blocked_full" if blocked else "none")
            sample_cycle(int(dut.count_o.value), op)
            if push:
                sample_beat(*get_patterns())

    return cocotb.start_soon(sampler())


@cocotb.test()
async def random_traffic(dut):
    """Every idle pattern x every back-pressure pattern, bit-exact, with coverage."""
    width, depth = _params(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = await _setup(dut)
    current = ["none", "none"]
    prefix = f"{MODULE}.random_traffic"
    _start_coverage(dut, prefix, lambda: tuple(current))
    n_items = max(3 * depth, 12)
    for idle_name in PATTERN_NAMES:
        for bp_name in PATTERN_NAMES:
            current[:] = [idle_name, bp_name]
            tb.set_patterns(make_pattern(idle_name, rng), make_pattern(bp_name, rng))
            await tb.transfer([rng.getrandbits(width) for _ in range(n_items)])
    tb.scoreboard.check_done(min_matched=len(PATTERN_NAMES) ** 2 * n_items)
    dut._log.info(tb.scoreboard.summary())
    export_func_coverage(MODULE, f"random_traffic-W{width}-D{depth}", prefix=prefix)
    assert_all_bins_hit(prefix)


@cocotb.test()
async def reset_mid_traffic(dut):
    """Reset while the FIFO holds data and beats are in flight; it must come back empty and exact."""
    width, depth = _params(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = await _setup(dut)
    for round_ in range(6):
        tb.set_patterns(make_pattern("random_30", rng), make_pattern("random_50", rng))
        tb.source.send([rng.getrandbits(width) for _ in range(20 * depth)])
        await ClockCycles(dut.clk_i, rng.randrange(depth, 3 * depth))
        await ReadOnly()
        # The reset (asserted after the next edge, which can pop one entry) must find data inside:
        # if the random traffic left fewer than 2 entries, hold the sink off until 2 are in.
        held_off = None
        if int(dut.count_o.value) < 2:
            held_off, tb.sink.backpressure = tb.sink.backpressure, itertools.repeat(True)
            for _ in range(50 * depth):
                if int(dut.count_o.value) >= 2:
                    break
                await RisingEdge(dut.clk_i)
                await ReadOnly()
        had_data = int(dut.count_o.value)
        assert had_data >= 2, f"round {round_}: the FIFO never held 2 entries before the reset"
        await tb.reset(rng.randrange(1, 4))
        if held_off is not None:
            tb.sink.backpressure = held_off  # the round's random back-pressure again
        await ReadOnly()
        assert int(dut.count_o.value) == 0 and not dut.out_valid_o.value, \
            f"round {round_}: FIFO not empty after reset (count {int(dut.count_o.value)})"
        assert dut.in_ready_o.value, f"round {round_}: not ready after reset"
        dut._log.info("round %d: reset with %d entries inside", round_, had_data)
        # traffic resumes and is exact
        await tb.transfer([rng.getrandbits(width) for _ in range(2 * depth + 3)])
        tb.scoreboard.check_done()
    assert tb.scoreboard.matched >= 6 * (2 * depth + 3)


@cocotb.test()
async def throughput(dut):
    """Never stalled: one beat per cycle on both sides, latency one cycle."""
    width, depth = _params(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = await _setup(dut)
    await tb.check_full_rate([rng.getrandbits(width) for _ in range(200)], latency=1)


@cocotb.test()
async def no_comb_paths(dut):
    """in_ready_o, out_valid_o, out_data_o, count_o, full_o, empty_o only change at clock edges."""
    rng = random.Random(cocotb.RANDOM_SEED)
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.out_ready_i.value = 0
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    inputs = {"in_valid_i": dut.in_valid_i, "in_data_i": dut.in_data_i,
              "out_ready_i": dut.out_ready_i}
    outputs = {"in_ready_o": dut.in_ready_o, "out_valid_o": dut.out_valid_o,
               "out_data_o": dut.out_data_o, "count_o": dut.count_o, "full_o": dut.full_o,
               "empty_o": dut.empty_o}
    await check_no_comb_paths(dut.clk_i, inputs, outputs, rng, cycles=300,
                              streams=[("in_valid_i", "in_ready_o", "in_data_i")])


@cocotb.test(skip=os.environ.get("LL_PROTOCOL_VIOLATION") != "1")
async def protocol_violation(dut):
    """Deliberately change in_data_i while the full FIFO refuses it: InProtocol must fire.

    Run only by ``test_fifo_assertion_fires`` (which expects the simulation to fail)."""
    width, depth = _params(dut)
    start_clock(dut.clk_i)
    dut.in_valid_i.value = 0
    dut.out_ready_i.value = 0
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    for k in range(depth):  # fill it (sink never ready)
        await RisingEdge(dut.clk_i)
        dut.in_valid_i.value = 1
        dut.in_data_i.value = k
    await RisingEdge(dut.clk_i)
    dut.in_data_i.value = 1
    await ReadOnly()
    assert int(dut.count_o.value) == depth and not dut.in_ready_o.value
    await RisingEdge(dut.clk_i)
    dut.in_data_i.value = 2  # violation: data changed while valid && !ready
    await ClockCycles(dut.clk_i, 5)
    raise AssertionError("the InProtocol assertion did not stop the simulation")


# --------------------------------------------------------------------------------------------------
# pytest entry

PARAMS = [
    pytest.param({"Width": 8, "Depth": 4}, id="W8-D4"),
    pytest.param({"Width": 37, "Depth": 5}, id="W37-D5"),
    pytest.param({"Width": 1, "Depth": 2}, id="W1-D2"),
]


@pytest.mark.parametrize("parameters", PARAMS)
def test_fifo(parameters):
    from verif.lib.runner import run_sim

    run_sim(module=MODULE, toplevel="ll_fifo", parameters=parameters)


def test_fifo_assertion_fires():
    from verif.lib.runner import run_sim

    res = run_sim(module=MODULE, toplevel="ll_fifo", parameters={"Width": 8, "Depth": 4},
                  testcase="protocol_violation", extra_env={"LL_PROTOCOL_VIOLATION": "1"},
                  expect_failure=True)
    log = res.log
    assert not res.ok, "the simulation passed although the protocol was violated"
    assert "InProtocol" in log and "failed" in log, \
        f"expected the InProtocol assertion in the log, got:\n{log[-3000:]}"
    assert "did not stop the simulation" not in log


def test_fifo_quiet_run(capsys):
    """run_sim(quiet=True), as the command line uses it: the build output goes to build.log, the
    simulator log is not echoed, the result is the same."""
    from verif.lib.runner import run_sim

    res = run_sim(module=MODULE, toplevel="ll_fifo", parameters={"Width": 8, "Depth": 4},
                  testcase="throughput", run_name="quiet", quiet=True)
    out = capsys.readouterr().out
    assert res.passed == ["throughput"], res.passed
    assert "cocotb.regression" not in out and "Verilat" not in out, out[-2000:]
    assert "[run_sim] build+run" in out
    build_log = (res.build_dir / "build.log").read_text()
    assert "make" in build_log, build_log[-2000:]
    assert "cocotb.regression" in res.log
