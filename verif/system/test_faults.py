"""Faults on the full system: a bad program or a memory error stops a node with the documented error
code and ERR_PC, no node hangs, and a CLEAR brings every node back to a correct token.

The pytest side compiles `tiny-v512` for 1 or 2 nodes exactly as the token test does (same build
parameters, so the Verilator builds are shared) and prepares one fault:

- illegal instruction: a copy of node k's program is appended to its channel-0 image with one
  instruction corrupted (opcode 0x7F, or a reserved bit of an MP instruction). The fault run points
  node k's PROG_BASE at the copy; the recovery run points it back at the intact program, so the memory
  is never rewritten. The expected code and ERR_PC come from `refmodel.isa` (`check_word`, the byte
  address of the corrupted instruction);
- memory error: the system testbench's error injection makes node k's memories answer SLVERR for any
  burst touching one byte of the first MP weight stream (taken from the compiled program); the MP unit
  reports `{src 2, cause 2}` (`ll_mp`: 2 = SLVERR) with ERR_PC at the first later instruction that
  waits for the MP (the one the scheduler holds when the MP's error arrives);
- fetch error: the same injection on the program's first instruction: fetch SLVERR 0x902, ERR_PC =
  PROG_BASE, nothing issued, so the recovery meets no stale state.

The cocotb side (`fault_then_recover`) starts one token on every node, waits a bounded number of
cycles until every node has stopped (done or error), and asserts every node's STATUS, error code,
ERR_PC, CYCLES and stop time; the other nodes of a multi-node system cannot finish their ring gathers
without node k and must stop through the watchdog (code 0xA01, after at least WATCHDOG cycles). It then
checks that START is ignored while in error, disables the error injection, writes CLEAR on every node
(at once, or after the kernels have finished), waits until CLEAR has drained and reset the datapath,
checks that STATUS is clear, and runs two prompt tokens, recording their TOKEN_OUT (or the error they
stop with) for the pytest side, which compares them with the integer reference.

Pytest: `test_fault[case]` (the fault phase) and `test_recovery[case]` share one simulation per case.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from refmodel import isa
from refmodel.checkpoint import random_weights
from refmodel.config import get_config
from verif.lib.reset import start_clock
from verif.lib.runner import BUILD_ROOT, run_sim
from verif.system.engine import MODULE, SYSTEM_MAKE, _hw_for
from verif.system.test_system import (REG_CTRL, REG_CYCLES, REG_POSITION, REG_PROG_BASE, REG_STATUS,
                                      REG_TOKEN_IN, REG_TOKEN_OUT, REG_WATCHDOG)

REG_ERR_PC = 0x010
ST_BUSY, ST_DONE, ST_ERROR = 1 << 0, 1 << 1, 1 << 2
CTRL_START, CTRL_CLEAR = 1, 2
WATCHDOG = 20_000
MP_SLVERR = 2  # ll_mp err_o: 1 illegal descriptor, 2 SLVERR, 3 DECERR


def status_code(status: int) -> int:
    """STATUS[19:8]: the error code {source, cause}."""
    return (status >> 8) & 0xFFF


# --------------------------------------------------------------------------------------------------
# cocotb side
# --------------------------------------------------------------------------------------------------
@cocotb.test()
async def fault_then_recover(dut):
    case = json.loads(Path(os.environ["FAULT_CASE"]).read_text())
    nodes = case["nodes"]
    start_clock(dut.clk_i)
    dut.mem_latency_i.value = 16
    dut.mem_stall_prob_i.value = 0
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

    # ---- the faulty token
    mem_err = case["mem_err"]
    if mem_err is not None:
        dut.mem_err_node_i.value = mem_err["node"]
        dut.mem_err_addr_i.value = mem_err["addr"]
        dut.mem_err_en_i.value = 1
    for n in range(nodes):
        await wr(n, REG_PROG_BASE, case["fault_prog_base"][n])
        await wr(n, REG_WATCHDOG, case["watchdog"])
        await wr(n, REG_TOKEN_IN, case["prompt"][0])
        await wr(n, REG_POSITION, 0)
    for n in range(nodes):
        await wr(n, REG_CTRL, CTRL_START)
    stopped_at = [None] * nodes  # cycles after the last START write when done/error was first seen
    waited, bound = 0, case["wait_bound"]
    while None in stopped_at:
        flags = int(dut.done_o.value) | int(dut.error_o.value)
        for n in range(nodes):
            if stopped_at[n] is None and (flags >> n) & 1:
                stopped_at[n] = waited
        if None not in stopped_at:
            break
        assert waited < bound, f"nodes {[n for n in range(nodes) if stopped_at[n] is None]} still running " \
                               f"after {waited} cycles (hang)"
        await ClockCycles(dut.clk_i, 16)
        waited += 16
    got = []
    for n in range(nodes):
        st, pc, cyc = await rd(n, REG_STATUS), await rd(n, REG_ERR_PC), await rd(n, REG_CYCLES)
        got.append((st, pc, cyc))
        dut._log.info("node %d: STATUS %#x (code %#05x) ERR_PC %#x CYCLES %d, stopped %d cycles after START",
                      n, st, status_code(st), pc, cyc, stopped_at[n])
    for n, exp in enumerate(case["expect"]):
        st, pc, cyc = got[n]
        assert st & (ST_BUSY | ST_DONE | ST_ERROR) == ST_ERROR, f"node {n}: STATUS {st:#x}, want error only"
        assert status_code(st) == exp["code"], f"node {n}: code {status_code(st):#05x}, want {exp['code']:#05x}"
        assert pc == exp["err_pc"], f"node {n}: ERR_PC {pc:#x}, want {exp['err_pc']:#x}"
        assert stopped_at[n] <= exp["max_cycles"], \
            f"node {n}: stopped {stopped_at[n]} cycles after START, bound {exp['max_cycles']}"
        if exp["code"] == isa.error_code(isa.Err.SRC_WATCHDOG, isa.Err.TIMEOUT):
            # the watchdog fires only after WATCHDOG cycles without progress
            assert cyc >= case["watchdog"], f"node {n}: watchdog error after only {cyc} cycles"

    Path(case["report"]).write_text(json.dumps(dict(fault=got, stopped_at=stopped_at, recovery=None), indent=1))

    # ---- START is ignored while in error
    for n in range(nodes):
        await wr(n, REG_CTRL, CTRL_START)
    await ClockCycles(dut.clk_i, 64)
    for n in range(nodes):
        st = await rd(n, REG_STATUS)
        assert st == got[n][0], f"node {n}: START in error changed STATUS {got[n][0]:#x} -> {st:#x}"

    # ---- recovery: injection off, CLEAR every node, intact program, a normal prompt
    dut.mem_err_en_i.value = 0
    await ClockCycles(dut.clk_i, case["clear_delay"])
    for n in range(nodes):
        await wr(n, REG_CTRL, CTRL_CLEAR)
    # CLEAR drains the datapath (busy while it does: at least 256 cycles, docs/node.md), then the node
    # is idle with no done or error flag
    for n in range(nodes):
        for _ in range(200):
            st = await rd(n, REG_STATUS)
            if not st & ST_BUSY:
                break
            await ClockCycles(dut.clk_i, 32)
        assert st & (ST_BUSY | ST_DONE | ST_ERROR) == 0, f"node {n}: STATUS {st:#x} after CLEAR"
        assert int(dut.error_o.value) == 0 and int(dut.done_o.value) == 0
        await wr(n, REG_PROG_BASE, case["prog_base"][n])
        await wr(n, REG_WATCHDOG, case["watchdog"])
    # the recovery outcome is recorded, and judged by the pytest side against the integer reference
    recovery = dict(outs=[], cycles=[], error=None)
    all_done = (1 << nodes) - 1
    for pos, tok in enumerate(case["prompt"]):
        for n in range(nodes):
            await wr(n, REG_TOKEN_IN, tok)
            await wr(n, REG_POSITION, pos)
        for n in range(nodes):
            await wr(n, REG_CTRL, CTRL_START)
        waited = 0
        while int(dut.done_o.value) != 0:  # the previous token's done flags clear at START
            await ClockCycles(dut.clk_i, 1)
            waited += 1
            assert waited < 100, f"recovery pos {pos}: done flags did not clear after START"
        while int(dut.done_o.value) != all_done and not int(dut.error_o.value) and waited < case["token_bound"]:
            await ClockCycles(dut.clk_i, 16)
            waited += 16
        if int(dut.done_o.value) != all_done:
            sts = [await rd(n, REG_STATUS) for n in range(nodes)]
            recovery["error"] = dict(pos=pos, after=waited, status=sts,
                                     codes={str(n): status_code(st) for n, st in enumerate(sts) if st & ST_ERROR})
            dut._log.info("recovery pos %d: stopped after %d cycles, STATUS %s", pos, waited, [hex(v) for v in sts])
            break
        outs = [await rd(n, REG_TOKEN_OUT) for n in range(nodes)]
        cycles = [await rd(n, REG_CYCLES) for n in range(nodes)]
        dut._log.info("recovery pos %d token %d -> %s (reference %d), cycles %s", pos, tok, outs,
                      case["expected"][pos], cycles)
        recovery["outs"].append(outs)
        recovery["cycles"].append(cycles)
    Path(case["report"]).write_text(json.dumps(dict(fault=got, stopped_at=stopped_at, recovery=recovery), indent=1))


# --------------------------------------------------------------------------------------------------
# pytest side
# --------------------------------------------------------------------------------------------------
PROMPT = [11, 400]


def _first_mp(node) -> int:
    return next(i for i, ins in enumerate(node.program) if isinstance(ins, isa.Mp))


def _first_waiting(program: list, after: int, unit: int) -> int:
    """Index of the first instruction after `after` whose wait_issue mask names `unit`."""
    return next(i for i in range(after + 1, len(program)) if program[i].wait_issue >> unit & 1)


def run_fault(nodes: int, fault_node: int, kind: str, clear_delay: int) -> dict:
    """Compile tiny-v512 for `nodes` nodes, inject fault `kind` into node `fault_node` and run the
    cocotb test `fault_then_recover` (the fault phase is asserted there, with expectations computed
    here from refmodel; the recovery is recorded). Returns the case and the cocotb report."""
    from refmodel.compiler import compile_model
    from refmodel.int_model import IntGPT2
    from refmodel.quantize import quantize

    cfg = get_config("tiny-v512")
    qm = quantize(cfg, random_weights(cfg, 0))
    hw, heads = _hw_for(cfg, nodes)
    img = compile_model(qm, nodes, hw)
    prog_base = [n.prog_base for n in img.nodes]
    fault_base = list(prog_base)
    node = img.nodes[fault_node]
    idx = _first_mp(node)
    mem_err = None
    watchdog_code = isa.error_code(isa.Err.SRC_WATCHDOG, isa.Err.TIMEOUT)
    if kind in ("opcode", "reserved"):
        good = node.program_bytes()
        word = int.from_bytes(good[idx * 32 : idx * 32 + 32], "little")
        if kind == "opcode":
            bad = (word & ~0xFF) | 0x7F
        else:
            bit = 127  # above MP din_beats (bits 124..112): reserved
            assert isa.reserved_mask(isa.Op.MP) >> bit & 1
            bad = word | 1 << bit
        with pytest.raises(isa.IsaError) as exc:
            isa.check_word(bad)
        cause = exc.value.cause
        assert cause == (isa.Err.ILLEGAL_OPCODE if kind == "opcode" else isa.Err.RESERVED_BITS)
        corrupt = bytearray(good)
        corrupt[idx * 32 : idx * 32 + 32] = bad.to_bytes(32, "little")
        ch0 = node.channels[0]
        base = (len(ch0) + 31) // 32 * 32
        ch0.extend(bytes(base - len(ch0)))
        ch0.extend(corrupt)
        fault_base[fault_node] = base
        code = isa.error_code(isa.Err.SRC_DECODE, cause)
        fault_exp = dict(code=code, err_pc=base + idx * 32, max_cycles=2_000)
    elif kind == "mem":
        mp = node.program[idx]
        addr = mp.w_base + 5 * 32 + 7  # a byte inside the first weight stream (every channel)
        mem_err = dict(node=fault_node, addr=addr)
        code = isa.error_code(isa.Unit.MP, MP_SLVERR)
        # the error comes with the MP's done; the scheduler then holds the first later instruction
        # that waits (wait_issue) for the MP: ERR_PC is its address
        j = _first_waiting(node.program, idx, isa.Unit.MP)
        fault_exp = dict(code=code, err_pc=prog_base[fault_node] + j * isa.INSTR_BYTES, max_cycles=5_000)
    elif kind == "fetch":
        # SLVERR on the program's first instruction: the fetch error reaches the instruction register
        # before anything is issued
        mem_err = dict(node=fault_node, addr=prog_base[fault_node] + 5)
        code = isa.error_code(isa.Err.SRC_FETCH, isa.Err.FETCH_SLVERR)
        fault_exp = dict(code=code, err_pc=prog_base[fault_node], max_cycles=2_000)
    else:
        raise ValueError(f"unknown fault kind {kind!r}")
    expect = []
    for n in range(nodes):
        if n == fault_node:
            expect.append(fault_exp)
        else:  # its first ring gather needs node k's slice: only the watchdog can stop it, with the
            # first instruction that waits (wait_issue) for that gather in the instruction register
            prog = img.nodes[n].program
            g = next(i for i, ins in enumerate(prog) if isinstance(ins, isa.Ring))
            j = _first_waiting(prog, g, isa.Unit.RING)
            expect.append(dict(code=watchdog_code, err_pc=prog_base[n] + j * isa.INSTR_BYTES,
                               max_cycles=WATCHDOG + 5_000))
    ref = IntGPT2(qm)
    expected = [ref.step(t, pos) for pos, t in enumerate(PROMPT)]

    tag = f"fault-{kind}-n{nodes}-k{fault_node}-d{clear_delay}"
    out = BUILD_ROOT / MODULE / "cases" / tag
    out.mkdir(parents=True, exist_ok=True)
    report = out / "report.json"
    if report.exists():
        report.unlink()
    plus = []
    for nd in img.nodes:
        for p, ch in enumerate(nd.channels):
            f = out / f"n{nd.node}c{p}.bin"
            f.write_bytes(bytes(ch) if len(ch) else bytes(32))
            plus.append(f"+n{nd.node}c{p}_load0={f}")
    case = dict(nodes=nodes, prompt=PROMPT, expected=expected, prog_base=prog_base, fault_prog_base=fault_base,
                watchdog=WATCHDOG, mem_err=mem_err, expect=expect, wait_bound=WATCHDOG + 10_000,
                token_bound=200_000, clear_delay=clear_delay, report=str(report))
    (out / "case.json").write_text(json.dumps(case, indent=1))
    res = run_sim(module=MODULE, toplevel="ll_system_tb", test_module="verif.system.test_faults",
                  parameters=dict(NumNodes=nodes, MhaHeads=heads, MaxCtx=cfg.n_positions),
                  extra_build_args=["--output-split", "0"], plusargs=plus, make_overrides=SYSTEM_MAKE,
                  extra_env={"FAULT_CASE": str(out / "case.json")}, testcase="fault_then_recover",
                  run_name=tag, expect_failure=True)
    # the report exists once the fault phase passed; a failure after it (recovery) is judged by
    # test_recovery from `ok` and `log`
    if not report.exists():
        raise AssertionError(f"fault phase failed, log {res.log_file}:\n" + "\n".join(res.log.splitlines()[-40:]))
    return dict(case=case, report=json.loads(report.read_text()), ok=res.ok, log=res.log, log_file=str(res.log_file))


# Cycles between the fault report and CLEAR: 0 (CLEAR while kernels are still mid-operation: CLEAR
# drains and resets the datapath) or DRAIN (the kernels finished on their own first).
DRAIN = 3000

# name: (nodes, faulty node, fault kind, cycles before CLEAR)
CASES = {
    "opcode-n1": (1, 0, "opcode", DRAIN),
    "reserved-n2": (2, 1, "reserved", DRAIN),
    "opcode-n1-clear-at-once": (1, 0, "opcode", 0),
    "fetch-n1": (1, 0, "fetch", 0),
    "mem-n1": (1, 0, "mem", DRAIN),
    "mem-n2": (2, 0, "mem", DRAIN),
    "mem-n2-clear-at-once": (2, 0, "mem", 0),
}
_RUNS: dict[str, dict] = {}


def _run(name: str) -> dict:
    """One simulation per case, shared by its fault and recovery tests (same pytest worker: the
    tests of a file stay together under --dist loadfile)."""
    if name not in _RUNS:
        nodes, k, kind, delay = CASES[name]
        _RUNS[name] = run_fault(nodes, k, kind, delay)
    return _RUNS[name]


@pytest.mark.parametrize("name", ["opcode-n1", "reserved-n2", "mem-n1", "mem-n2", "fetch-n1"])
def test_fault(name):
    """The faulty node stops with the documented code (decoder 0x801 / 0x802 with ERR_PC = the
    corrupted instruction; MP SLVERR 0x202; fetch SLVERR 0x902), the other node through the watchdog
    (0xA01), all within a bounded number of cycles; START is ignored in error; CLEAR clears STATUS.
    The cocotb test asserts all of it; the codes and ERR_PC are checked again here from its report."""
    run = _run(name)
    case, rep = run["case"], run["report"]
    for n, exp in enumerate(case["expect"]):
        st, pc, _ = rep["fault"][n]
        assert st & 0x7 == ST_ERROR and status_code(st) == exp["code"], \
            f"node {n}: STATUS {st:#x}, want code {exp['code']:#x}"
        assert pc == exp["err_pc"], f"node {n}: ERR_PC {pc:#x}, want {exp['err_pc']:#x}"


@pytest.mark.parametrize("name", list(CASES))
def test_recovery(name):
    """After the fault: injection off, CLEAR on every node, PROG_BASE back to the intact program, two
    prompt tokens: every node's TOKEN_OUT must equal the integer reference."""
    nodes = CASES[name][0]
    run = _run(name)
    assert run["ok"], f"recovery simulation failed: {run['log_file']}"
    rec, expected = run["report"]["recovery"], run["case"]["expected"]
    assert rec["error"] is None and rec["outs"] == [[e] * nodes for e in expected], \
        f"recovery after CLEAR failed: {rec}, reference {expected}"
