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
  PROG_BASE, nothing issued, so the recovery meets no stale state;
- ring link fault: the system testbench's link tap (`rtl/sim/ring_link_tap.sv`, plain wires unless
  armed) corrupts one bit of, drops or duplicates one beat on one link; the receiving node's router
  reports `{src 4 (RING), cause}` with the router's code for the fault class (`_link_fault`).

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
# ring_router error codes (ring_pkg::ring_err_e, docs/ring.md), reported as the RING unit's cause
RING_PARITY, RING_SEQ_GAP, RING_SEQ_DUP = 2, 5, 6
# ring_link_tap fault kinds (the system testbench's link_fault_kind_i)
LINK_KINDS = {"corrupt": 1, "drop": 2, "dup": 3}


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
    link = case.get("link_fault")
    dut.link_fault_kind_i.value = 0
    dut.link_fault_link_i.value = link["link"] if link else 0
    dut.link_fault_beat_i.value = link["beat"] if link else 0
    dut.link_fault_bit_i.value = link["bit"] if link else 0
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
    if link is not None:  # armed before START: beat `beat` on link `link` since reset
        dut.link_fault_kind_i.value = link["kind"]
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
        if "err_pc_in" in exp:  # the instruction held when the error arrived: one of these
            assert pc in exp["err_pc_in"], f"node {n}: ERR_PC {pc:#x}, want one of {[hex(a) for a in exp['err_pc_in']]}"
        else:
            assert pc == exp["err_pc"], f"node {n}: ERR_PC {pc:#x}, want {exp['err_pc']:#x}"
        assert stopped_at[n] <= exp["max_cycles"], \
            f"node {n}: stopped {stopped_at[n]} cycles after START, bound {exp['max_cycles']}"
        if exp["code"] == isa.error_code(isa.Err.SRC_WATCHDOG, isa.Err.TIMEOUT):
            # the watchdog fires only after WATCHDOG cycles without progress
            assert cyc >= case["watchdog"], f"node {n}: watchdog error after only {cyc} cycles"

    link_report = None
    if link is not None:
        # the tap applied the fault, to the beat (source node, sequence number) the pytest side expects
        done = int(dut.link_fault_done_o.value)
        src = (int(dut.link_fault_src_o.value) >> (3 * link["link"])) & 0x7
        seq = (int(dut.link_fault_seq_o.value) >> (16 * link["link"])) & 0xFFFF
        link_report = dict(done=(done >> link["link"]) & 1, src=src, seq=seq)
        dut._log.info("link %d: fault kind %d on beat %d applied to source %d seq %d", link["link"], link["kind"],
                      link["beat"], src, seq)
        assert link_report["done"] == 1, f"link {link['link']}: the fault was never applied"
        assert [src, seq] in link["beat_ids"], f"link {link['link']}: fault hit source {src} seq {seq}, " \
                                               f"want one of {link['beat_ids']}"
    Path(case["report"]).write_text(json.dumps(dict(fault=got, stopped_at=stopped_at, link=link_report,
                                                    recovery=None), indent=1))

    # ---- START is ignored while in error
    for n in range(nodes):
        await wr(n, REG_CTRL, CTRL_START)
    await ClockCycles(dut.clk_i, 64)
    for n in range(nodes):
        st = await rd(n, REG_STATUS)
        assert st == got[n][0], f"node {n}: START in error changed STATUS {got[n][0]:#x} -> {st:#x}"

    # ---- recovery: injection off, CLEAR every node, intact program, a normal prompt
    dut.mem_err_en_i.value = 0
    dut.link_fault_kind_i.value = 0
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
    Path(case["report"]).write_text(json.dumps(dict(fault=got, stopped_at=stopped_at, link=link_report,
                                                    recovery=recovery), indent=1))


# --------------------------------------------------------------------------------------------------
# pytest side
# --------------------------------------------------------------------------------------------------
PROMPT = [11, 400]


def _first_mp(node) -> int:
    return next(i for i, ins in enumerate(node.program) if isinstance(ins, isa.Mp))


def _first_waiting(program: list, after: int, unit: int) -> int:
    """Index of the first instruction after `after` whose wait_issue mask names `unit`."""
    return next(i for i in range(after + 1, len(program)) if program[i].wait_issue >> unit & 1)


def _ring_own_beats(ins) -> int:
    """Beats a node puts on the ring for one RING instruction: its slice, or its one argmax pair."""
    if ins.op == isa.RingOp.ARGMAX:
        return 1
    assert ins.layout == isa.RingLayout.CONTIGUOUS, "tiny-v512 uses contiguous slices only"
    return ins.len


def _link_fault(img, nodes: int, link: int, fk: str, beat: int, prog_base: list[int], watchdog: int):
    """Expectations for fault `fk` (corrupt / drop / dup) on beat `beat` of ring link `link`
    (node link -> node link+1): the beats the tap may hit, and per node the code, the ERR_PC
    candidates and the cycle bound.

    Which beat: on 2 nodes a link carries only its sender's own beats (a beat is never forwarded to
    its own source), so beat k is the sender's k-th own beat over the program's RING instructions
    (gather g, sequence number q). On more nodes the link also carries forwarded beats in an order
    that depends on timing: only beat 0 is used there, which is sequence number 0 of gather 0 from
    any source whose beats cross the link (every one but the receiver).
    The receiver reports the ring error for the fault class: parity for any corrupted bit, a sequence
    gap at the next beat of that source for a drop, a duplicate sequence number for a duplicate (drop
    and duplicate are only used on a beat that is not its source's last one, so that a later beat of
    the same operation follows). Its ERR_PC is an instruction after the RING of gather g, up to the
    first one that waits for the ring (the scheduler cannot pass it). Every other node loses the
    receiver's beats (its router sinks everything once in error) and stops through the watchdog,
    held at the first instruction that waits for the ring after gather g, or after gather g + 1 (a
    node that could still complete gather g: none of the beats it needed had to pass the receiver)."""
    recv = (link + 1) % nodes
    rings = [[i for i, ins in enumerate(nd.program) if isinstance(ins, isa.Ring)] for nd in img.nodes]
    sender = img.nodes[link].program
    if nodes == 2:
        beats = [(g, q, _ring_own_beats(sender[i])) for g, i in enumerate(rings[link])
                 for q in range(_ring_own_beats(sender[i]))]
        g, q, own = beats[beat]
        beat_ids = [[link, q]]
        if fk in ("drop", "dup") and q == own - 1:
            raise ValueError("drop / duplicate need a beat followed by another of the same source")
    else:
        assert beat == 0 and fk == "corrupt", "on more than 2 nodes only beat 0 is predictable"
        g = 0
        beat_ids = [[s, 0] for s in range(nodes)
                    if s != recv and _ring_own_beats(img.nodes[s].program[rings[s][0]]) > 0]
    cause = dict(corrupt=RING_PARITY, drop=RING_SEQ_GAP, dup=RING_SEQ_DUP)[fk]
    expect = []
    for n in range(nodes):
        prog = img.nodes[n].program

        def wait_after(gi):
            return prog_base[n] + _first_waiting(prog, rings[n][gi], isa.Unit.RING) * isa.INSTR_BYTES

        if n == recv:
            first = prog_base[n] + (rings[n][g] + 1) * isa.INSTR_BYTES
            expect.append(dict(code=isa.error_code(isa.Unit.RING, cause),
                               err_pc_in=list(range(first, wait_after(g) + 1, isa.INSTR_BYTES)),
                               max_cycles=5_000))
        else:
            expect.append(dict(code=isa.error_code(isa.Err.SRC_WATCHDOG, isa.Err.TIMEOUT),
                               err_pc_in=sorted({wait_after(g), wait_after(g + 1)}), max_cycles=watchdog + 5_000))
    return beat_ids, expect


def run_fault(nodes: int, fault_node: int, kind: str, clear_delay: int, extra: dict | None = None) -> dict:
    """Compile tiny-v512 for `nodes` nodes, inject fault `kind` into node `fault_node` (for a ring link
    fault `link-<corrupt|drop|dup>`: into link `fault_node`, at beat `extra["beat"]`, bit
    `extra["bit"]`) and run the cocotb test `fault_then_recover` (the fault phase is asserted there,
    with expectations computed here from refmodel; the recovery is recorded). Returns the case and the
    cocotb report."""
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
    link_fault = None
    fault_exp = None
    # the link cases use a shorter watchdog (a tiny-v512 token is ~2.3K cycles: 5000 never fires in a
    # good token) so that the nodes that starve stop sooner
    watchdog = (extra or {}).get("watchdog", WATCHDOG)
    watchdog_code = isa.error_code(isa.Err.SRC_WATCHDOG, isa.Err.TIMEOUT)
    if kind.startswith("link-"):
        fk = kind[len("link-"):]
        beat_ids, link_expect = _link_fault(img, nodes, fault_node, fk, extra["beat"], prog_base, watchdog)
        link_fault = dict(kind=LINK_KINDS[fk], link=fault_node, beat=extra["beat"], bit=extra.get("bit", 0),
                          beat_ids=beat_ids)
    elif kind in ("opcode", "reserved"):
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
        if link_fault is not None:
            expect.append(link_expect[n])
        elif n == fault_node:
            expect.append(fault_exp)
        else:  # its first ring gather needs node k's slice: only the watchdog can stop it, with the
            # first instruction that waits (wait_issue) for that gather in the instruction register
            prog = img.nodes[n].program
            g = next(i for i, ins in enumerate(prog) if isinstance(ins, isa.Ring))
            j = _first_waiting(prog, g, isa.Unit.RING)
            expect.append(dict(code=watchdog_code, err_pc=prog_base[n] + j * isa.INSTR_BYTES,
                               max_cycles=watchdog + 5_000))
    ref = IntGPT2(qm)
    expected = [ref.step(t, pos) for pos, t in enumerate(PROMPT)]

    tag = f"fault-{kind}-n{nodes}-k{fault_node}-d{clear_delay}"
    if link_fault is not None:
        tag += f"-b{link_fault['beat']}"
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
                watchdog=watchdog, mem_err=mem_err, link_fault=link_fault, expect=expect, wait_bound=watchdog + 10_000,
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
LINK_WATCHDOG = 5000

# name: (nodes, faulty node or ring link, fault kind, cycles before CLEAR[, link fault beat and bit])
# Ring link beats on 2 nodes (tiny-v512, every gather's slice on each node): 0-1 ctx of layer 0,
# 2-9 attention projection, 10-17 MLP hidden, 18-25 MLP projection, 26-51 layer 1, 52 the argmax pair.
CASES = {
    "opcode-n1": (1, 0, "opcode", DRAIN),
    "reserved-n2": (2, 1, "reserved", DRAIN),
    "opcode-n1-clear-at-once": (1, 0, "opcode", 0),
    "fetch-n1": (1, 0, "fetch", 0),
    "mem-n1": (1, 0, "mem", DRAIN),
    "mem-n2": (2, 0, "mem", DRAIN),
    "mem-n2-clear-at-once": (2, 0, "mem", 0),
    # flip data bit 77 of node 0's 2nd attention-projection beat (link 0 -> node 1)
    "link-corrupt-n2": (2, 0, "link-corrupt", DRAIN, dict(beat=3, bit=77, watchdog=LINK_WATCHDOG)),
    # node 1's 4th attention-projection beat never reaches node 0
    "link-drop-n2": (2, 1, "link-drop", DRAIN, dict(beat=5, watchdog=LINK_WATCHDOG)),
    # node 0's 3rd attention-projection beat of layer 1 reaches node 1 twice; CLEAR at once
    "link-dup-n2-clear-at-once": (2, 0, "link-dup", 0, dict(beat=30, watchdog=LINK_WATCHDOG)),
    # the first beat on link 1 of 4 (node 1 -> node 2) gets its tlast bit flipped (256 = last)
    "link-corrupt-n4": (4, 1, "link-corrupt", DRAIN, dict(beat=0, bit=256, watchdog=LINK_WATCHDOG)),
}
_RUNS: dict[str, dict] = {}


def _run(name: str) -> dict:
    """One simulation per case, shared by its fault and recovery tests (same pytest worker: the
    tests of a file stay together under --dist loadfile)."""
    if name not in _RUNS:
        nodes, k, kind, delay, *extra = CASES[name]
        _RUNS[name] = run_fault(nodes, k, kind, delay, *extra)
    return _RUNS[name]


@pytest.mark.parametrize("name", ["opcode-n1", "reserved-n2", "mem-n1", "mem-n2", "fetch-n1", "link-corrupt-n2",
                                  "link-drop-n2", "link-dup-n2-clear-at-once", "link-corrupt-n4"])
def test_fault(name):
    """The faulty node stops with the documented code (decoder 0x801 / 0x802 with ERR_PC = the
    corrupted instruction; MP SLVERR 0x202; fetch SLVERR 0x902; for a ring link fault, the receiving
    node's router: parity 0x402, sequence gap 0x405, duplicate 0x406), the other nodes through the
    watchdog (0xA01), all within a bounded number of cycles; START is ignored in error; CLEAR clears
    STATUS. The cocotb test asserts all of it; the codes and ERR_PC are checked again here from its
    report, and for a link fault that the tap hit the intended beat (source node, sequence number)."""
    run = _run(name)
    case, rep = run["case"], run["report"]
    for n, exp in enumerate(case["expect"]):
        st, pc, _ = rep["fault"][n]
        assert st & 0x7 == ST_ERROR and status_code(st) == exp["code"], \
            f"node {n}: STATUS {st:#x}, want code {exp['code']:#x}"
        if "err_pc_in" in exp:
            assert pc in exp["err_pc_in"], f"node {n}: ERR_PC {pc:#x}, want one of {exp['err_pc_in']}"
        else:
            assert pc == exp["err_pc"], f"node {n}: ERR_PC {pc:#x}, want {exp['err_pc']:#x}"
    if case["link_fault"] is not None:  # the tap hit the beat the case was built for
        lk = rep["link"]
        assert lk["done"] == 1 and [lk["src"], lk["seq"]] in case["link_fault"]["beat_ids"], lk


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
