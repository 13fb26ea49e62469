"""The full-system GPT-2 token test: tokens through 1, 2 or 4 simulated nodes on a ring.

The pytest side quantises a tiny random-weight GPT-2, compiles it for N nodes (refmodel.compiler),
writes every node's memory-channel images to files that the simulated memories load at time 0
(no per-beat Python), and computes the reference tokens with the integer model. The cocotb side
only writes the control registers of every node (AXI4-Lite), starts the token step, waits for the
nodes' done flags and checks TOKEN_OUT of every node against the reference, token after token: the
prompt is fed one token at a time, then the accelerator's own predictions are fed back (greedy
generation). Per-token cycles and per-unit busy cycles are printed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from refmodel.checkpoint import random_weights
from refmodel.config import get_config
from verif.lib.reset import start_clock
from verif.system.engine import run_system

REG_CTRL, REG_STATUS, REG_TOKEN_IN, REG_POSITION = 0x008, 0x00C, 0x014, 0x018
REG_TOKEN_OUT, REG_LOGIT, REG_PROG_BASE, REG_WATCHDOG, REG_CYCLES = 0x01C, 0x020, 0x024, 0x028, 0x02C
REG_UNIT_BUSY = 0x040
UNITS = ["EMBED", "LNR", "MP", "MHA", "RING", "ARGMAX"]


# --------------------------------------------------------------------------------------------------
# cocotb side
# --------------------------------------------------------------------------------------------------
@cocotb.test()
async def token_steps(dut):
    case = json.loads(Path(os.environ["SYSTEM_CASE"]).read_text())
    nodes = case["nodes"]
    start_clock(dut.clk_i)
    dut.mem_latency_i.value = case.get("mem_latency", 16)
    dut.mem_stall_prob_i.value = case.get("mem_stall", 0)
    dut.mem_seed_i.value = 1
    dut.mem_err_en_i.value = 0
    dut.mem_err_addr_i.value = 0
    dut.mem_err_node_i.value = 0
    dut.rst_ni.value = 0
    axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni, reset_active_level=False)
    axil.write_if.log.setLevel(logging.WARNING)
    axil.read_if.log.setLevel(logging.WARNING)
    await ClockCycles(dut.clk_i, 8)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 4)

    async def wr(node, reg, val):
        await axil.write_dword((node << 12) + reg, val & 0xFFFFFFFF)

    async def rd(node, reg):
        return await axil.read_dword((node << 12) + reg)

    for n in range(nodes):
        await wr(n, REG_PROG_BASE, case["prog_base"][n])
        await wr(n, REG_WATCHDOG, 200_000)
    all_done = (1 << nodes) - 1
    feed = list(case["prompt"])
    report = []
    expected = case["expected"]
    for pos in range(case["steps"]):
        t0 = time.perf_counter()
        tok = feed[pos]
        for n in range(nodes):
            await wr(n, REG_TOKEN_IN, tok)
            await wr(n, REG_POSITION, pos)
        for n in range(nodes):
            await wr(n, REG_CTRL, 1)
        waited = 0
        while int(dut.done_o.value) != 0:  # the previous token's done flags clear at START
            await RisingEdge(dut.clk_i)
            waited += 1
            assert waited < 100, f"pos {pos}: done flags did not clear after START"
        while int(dut.done_o.value) != all_done:
            if int(dut.error_o.value):
                codes = [hex(await rd(n, REG_STATUS)) for n in range(nodes)]
                raise AssertionError(f"pos {pos}: a node stopped with an error, STATUS {codes}")
            await ClockCycles(dut.clk_i, 64)
            waited += 64
            assert waited < case["max_cycles"], f"pos {pos}: no END after {waited} cycles"
        outs = [await rd(n, REG_TOKEN_OUT) for n in range(nodes)]
        cycles = [await rd(n, REG_CYCLES) for n in range(nodes)]
        busy = [await rd(0, REG_UNIT_BUSY + 4 * u) for u in range(len(UNITS))]
        dut._log.info("pos %d token %d -> %s (reference %s), cycles %s, node 0 busy %s", pos, tok, outs,
                      expected[pos] if expected else "-", cycles, dict(zip(UNITS, busy)))
        assert len(set(outs)) == 1, f"pos {pos}: nodes disagree: TOKEN_OUT {outs}"
        if expected:
            assert outs[0] == expected[pos], f"pos {pos}: TOKEN_OUT {outs[0]}, reference {expected[pos]}"
        report.append({"pos": pos, "token": tok, "next": outs[0], "cycles": cycles,
                       "busy": dict(zip(UNITS, busy)), "wall_s": time.perf_counter() - t0})
        if pos + 1 >= len(feed):
            feed.append(outs[0])
    Path(case["report"]).write_text(json.dumps(report, indent=1))


# --------------------------------------------------------------------------------------------------
# pytest side
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nodes", [1, 2, 4])
def test_tokens_tiny(nodes):
    """Prompt of 4 tokens fed one by one, then 4 generated tokens, on 1, 2 and 4 nodes."""
    cfg = get_config("tiny-v512")
    run = run_system(cfg, random_weights(cfg, 0), nodes, [11, 400, 7, 93], 5, tag=f"tiny-n{nodes}")
    assert run.outputs == run.expected and len(run.outputs) == 8
    # cycles of every step against the whole-token cycle model (docs/performance.md)
    from refmodel.cyclemodel.system import TOLERANCE, token_cycles, within_tolerance

    for pos, cyc in enumerate(run.cycles):
        pred = token_cycles(cfg, nodes, pos, mem_latency=16).cycles
        assert within_tolerance(pred, max(cyc)), \
            f"pos {pos}: CYCLES {cyc}, model {pred} (tolerance {TOLERANCE:.0%})"


def test_tokens_deep_long_context():
    """tiny-deep (4 layers, context 256) on 2 nodes: a 24-token prompt and 16 generated tokens, so the
    KV cache runs past several burst and port-row boundaries (8 channels: rows 0..39 of each head land
    5 deep on every channel); every token equals the reference, cycles follow the model."""
    from refmodel.cyclemodel.system import TOLERANCE, token_cycles, within_tolerance

    cfg = get_config("tiny-deep")
    prompt = [int(t) for t in np.random.default_rng(7).integers(0, cfg.vocab_size, 24)]
    run = run_system(cfg, random_weights(cfg, 2), 2, prompt, 17, tag="deep-n2")
    assert run.outputs == run.expected and len(run.outputs) == 40
    for pos, cyc in enumerate(run.cycles):
        pred = token_cycles(cfg, 2, pos, mem_latency=16).cycles
        assert within_tolerance(pred, max(cyc)), f"pos {pos}: CYCLES {cyc}, model {pred} (tolerance {TOLERANCE:.0%})"


def test_cli_rtl_engine_matches_ref():
    """`looplynx generate --engine rtl --nodes 2 ... --json` prints one JSON object (the simulator's
    log goes to stderr) whose generated_ids equal those of `--engine ref`."""
    import subprocess
    import sys

    args = ["--nodes", "2", "--config", "tiny", "--prompt", "Hello", "--tokens", "4", "--json"]

    def gen(engine):
        proc = subprocess.run([sys.executable, "-m", "refmodel.cli", "generate", "--engine", engine, *args],
                              capture_output=True, text=True, check=True)
        return json.loads(proc.stdout)

    rtl, ref = gen("rtl"), gen("ref")
    assert rtl["generated_ids"] == ref["generated_ids"] and len(rtl["generated_ids"]) == 4
    assert rtl["matches_reference"] and len(rtl["cycles"]) == 4 and rtl["sim_cycles_per_s"] > 0
