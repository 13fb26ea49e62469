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
def _peak_rss_mb() -> int:
    """Peak resident memory of this process (the simulator: cocotb runs inside it), MiB; 0 if unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


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
        await wr(n, REG_WATCHDOG, case.get("watchdog", 200_000))
    all_done = (1 << nodes) - 1
    feed = list(case["prompt"])
    report = []
    expected = case["expected"]
    start = case.get("start_pos", 0)  # the memory images hold the KV cache of positions 0..start-1
    for step in range(case["steps"]):
        pos = start + step
        t0 = time.perf_counter()
        tok = feed[step]
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
                      expected[step] if expected else "-", cycles, dict(zip(UNITS, busy)))
        assert len(set(outs)) == 1, f"pos {pos}: nodes disagree: TOKEN_OUT {outs}"
        if expected:
            assert outs[0] == expected[step], f"pos {pos}: TOKEN_OUT {outs[0]}, reference {expected[step]}"
        report.append({"pos": pos, "token": tok, "next": outs[0], "cycles": cycles,
                       "busy": dict(zip(UNITS, busy)), "wall_s": time.perf_counter() - t0,
                       "peak_rss_mb": _peak_rss_mb()})
        if step + 1 >= len(feed):
            feed.append(outs[0])
    Path(case["report"]).write_text(json.dumps(report, indent=1))


# --------------------------------------------------------------------------------------------------
# pytest side
# --------------------------------------------------------------------------------------------------
def _check_tokens_and_cycles(run, cfg, nodes: int, n_outputs: int) -> None:
    """Every token equals the integer reference, and the cycles of every step the whole-token cycle
    model's (docs/performance.md) within its tolerance."""
    from refmodel.cyclemodel.system import TOLERANCE, token_cycles, within_tolerance

    assert run.outputs == run.expected and len(run.outputs) == n_outputs
    for pos, cyc in enumerate(run.cycles):
        pred = token_cycles(cfg, nodes, pos, mem_latency=16).cycles
        assert within_tolerance(pred, max(cyc)), \
            f"pos {pos}: CYCLES {cyc}, model {pred} (tolerance {TOLERANCE:.0%})"


@pytest.mark.parametrize("nodes", [1, 2, 4])
def test_tokens_tiny(nodes):
    """Prompt of 4 tokens fed one by one, then 4 generated tokens, on 1, 2 and 4 nodes."""
    cfg = get_config("tiny-v512")
    run = run_system(cfg, random_weights(cfg, 0), nodes, [11, 400, 7, 93], 5, tag=f"tiny-n{nodes}")
    _check_tokens_and_cycles(run, cfg, nodes, 8)


def test_tokens_tiny_high_base():
    """tiny-v512 on 2 nodes with the memory images far from address 0, in two copies per node
    (0x5555_5000 and 0x2AAA_A000 on node 0, the other way round on node 1) and the compiler's successive
    allocations alternating between the copies: every address bit below 31 of every unit swings both
    ways. The tokens equal the reference and the cycles the model's (4 KiB-aligned bases change no
    burst)."""
    cfg = get_config("tiny-v512")
    run = run_system(cfg, random_weights(cfg, 0), 2, [11, 400, 7], 2, tag="tiny-n2-high-base",
                     mem_base=(0x5555_5000, 0x2AAA_A000), mem_alias=(0x2AAA_A000, 0x5555_5000))
    _check_tokens_and_cycles(run, cfg, 2, 4)


def _launches_as_ext(img) -> None:
    """Re-encode every other kernel launch of each unit (the odd-numbered ones on node 0, the even ones on
    node 1) as an EXT launch of the same unit whose payload is the kernel instruction's operand words
    with every bit the kernel's opcode reserves set; the program is rewritten in place in channel 0 at
    PROG_BASE."""
    from refmodel import isa

    for node in img.nodes:
        prog, nth = [], {}
        for ins in node.program:
            if ins.OP in isa.OP_UNIT:
                unit = int(isa.OP_UNIT[ins.OP])
                k = nth[unit] = nth.get(unit, -1) + 1
                if (k + node.node) % 2:
                    word = ins.encode() | (isa.reserved_mask(ins.OP) & ~0xFFFF_FFFF)
                    ins = isa.Ext(ext_unit=unit, payload=word >> 32, wait_issue=ins.wait_issue,
                                  wait_data=ins.wait_data)
            prog.append(ins)
        code = isa.assemble(prog)
        off = node.offset(node.prog_base)
        assert len(code) == len(node.program_bytes())
        node.channels[0][off:off + len(code)] = code
        node.program = prog


def test_tokens_tiny_ext_launch():
    """tiny-v512 on 2 nodes with every other kernel launch of each unit made an EXT launch (docs/node.md:
    a built-in unit reads an EXT payload as its own instruction's operands and ignores the bits its
    instruction reserves): opcode and reserved operand bits toggle, the tokens still equal the
    reference and the cycles the model's."""
    cfg = get_config("tiny-v512")
    run = run_system(cfg, random_weights(cfg, 0), 2, [11, 400, 7], 2, tag="tiny-n2-ext",
                     image_hook=_launches_as_ext)
    _check_tokens_and_cycles(run, cfg, 2, 4)


def test_tokens_deep_long_context():
    """tiny-deep (4 layers, context 256) on 2 nodes: a 24-token prompt and 16 generated tokens, so the
    KV cache runs past several burst and port-row boundaries (8 channels: rows 0..39 of each head land
    5 deep on every channel); every token equals the reference, cycles follow the model."""
    cfg = get_config("tiny-deep")
    prompt = [int(t) for t in np.random.default_rng(7).integers(0, cfg.vocab_size, 24)]
    run = run_system(cfg, random_weights(cfg, 2), 2, prompt, 17, tag="deep-n2")
    _check_tokens_and_cycles(run, cfg, 2, 40)


#: The pinned calibration runs of the whole-token cycle model (refmodel/cyclemodel/system.py MEASURED)
#: other than tiny-v512 (test_tokens_tiny): (config, nodes) -> steps
CALIBRATION = {("tiny", 2): 8, ("tiny-deep", 1): 40, ("tiny-deep", 4): 8,
               ("medium-layer", 1): 2, ("medium-layer", 2): 2, ("medium-layer", 4): 2}


@pytest.mark.slow
@pytest.mark.parametrize("name,nodes", list(CALIBRATION), ids=[f"{k[0]}-n{k[1]}" for k in CALIBRATION])
def test_calibration_run(name, nodes):
    """The runs behind system.MEASURED, made exactly as docs/performance.md ("Calibration") describes:
    random weights seed 0, prompt [11, 400, 7, 93] (medium-layer: [11, 400], one GPT-2 medium layer,
    `system.measured_config`) then greedy tokens, memory latency 16. Every token equals the integer
    reference; CYCLES of every step and UNIT_BUSY of node 0 at position 0 follow the model within
    system.TOLERANCE (busy: or 12 cycles), as refmodel/tests/test_cyclemodel_system.py asserts on the
    pinned figures (this test reproduces them: the tag's report.json holds them)."""
    from refmodel.cyclemodel import system

    cfg = system.measured_config(name)
    prompt = [11, 400] if name == "medium-layer" else [11, 400, 7, 93]
    steps = CALIBRATION[(name, nodes)]
    run = run_system(cfg, random_weights(cfg, 0), nodes, prompt, steps - len(prompt) + 1,
                     tag=f"perfcal-{name}-n{nodes}")
    assert run.outputs == run.expected and len(run.outputs) == steps
    for pos, cyc in enumerate(run.cycles):
        pred = system.token_cycles(cfg, nodes, pos, mem_latency=16).cycles
        assert system.within_tolerance(pred, max(cyc)), \
            f"pos {pos}: CYCLES {cyc}, model {pred} (tolerance {system.TOLERANCE:.0%})"
    model = system.token_cycles(cfg, nodes, 0, mem_latency=16).busy[0]
    for unit in UNITS:
        got = run.busy[0][unit]
        assert abs(model[unit] - got) <= max(12, system.TOLERANCE * got), f"{unit}: RTL {got}, model {model[unit]}"


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


def test_debug_dump_tiny(tmp_path):
    """The debug dump (docs/node.md): tiny-v512 on 2 nodes, 3 steps with +dump, every activation-buffer
    write of every node recorded; every intermediate vector of every node and step equals the ISS
    exactly, and the ISS's named vectors equal the integer reference's. Then, on the same records, two
    checks that the comparison fails when it must: one corrupted element is reported with its vector's
    name and index, and the ISS on images with one byte of a weight stream flipped is reported at the
    first vector that byte changes."""
    from refmodel import isa
    from refmodel.compiler import compile_model
    from refmodel.quantize import quantize
    from verif.system.dump import check_dump, vector_names
    from verif.system.engine import _hw_for

    cfg = get_config("tiny-v512")
    weights = random_weights(cfg, 0)
    prompt = [11, 400, 7]
    run = run_system(cfg, weights, 2, prompt, 1, tag="dump-n2", dump=tmp_path / "dump")
    rep = run.dump
    assert run.outputs == run.expected and len(run.outputs) == 3
    assert rep.ok, rep.summary()
    # per node and step: embed, h.0.ln_1, then per layer qkv, attn_ctx, attn_proj, ln_2, gelu,
    # mlp_proj and the next LayerNorm (h.<l+1>.ln_1 or ln_f)
    assert rep.vectors == 3 * 2 * (2 + 7 * cfg.n_layer) and rep.ref_checked == rep.vectors
    # the .npz files: the hardware's decoded vectors of every node against the integer reference
    names = ["embed", "ln_f"] + [f"h.{li}.{v}" for li in range(cfg.n_layer)
                                 for v in ("ln_1", "attn_ctx", "attn_proj", "ln_2", "gelu", "mlp_proj")]
    assert len(rep.files) == 3
    for f in rep.files:
        z = np.load(f)
        for n in range(2):
            for name in names:
                assert np.array_equal(z[f"n{n}/{name}"], z[f"ref/{name}"]), f"{f.name}: n{n}/{name}"

    qm = quantize(cfg, weights)
    img = compile_model(qm, 2, _hw_for(cfg, 2)[0])
    fed = prompt  # 3 prompt tokens, 3 steps
    assert check_dump(img, qm, fed, rep.sources).ok  # the records alone reproduce the verdict

    # negative 1: element 37 of h.1.gelu of node 1 at step 2 corrupted in the records
    pc = next(pc for pc, v in vector_names(img, 1).items() if v.name == "h.1.gelu")
    pc_hex = f"{img.nodes[1].prog_base + pc * isa.INSTR_BYTES:08x}"
    lines = rep.sources[1].read_text().splitlines()
    for i, line in enumerate(lines):
        f = line.split()
        if f[0] == "2" and f[4] == pc_hex and int(f[5]) == img.abuf.hid + 1:  # elements 32..63
            beat = bytearray(int(f[6], 16).to_bytes(32, "little"))
            beat[37 - 32] ^= 0x01
            lines[i] = " ".join(f[:6] + [f"{int.from_bytes(beat, 'little'):064x}"])
            break
    else:
        raise AssertionError("no record of h.1.gelu, beat 1, node 1, step 2")
    bad_file = tmp_path / "abuf.n1"
    bad_file.write_text("\n".join(lines) + "\n")
    bad = check_dump(img, qm, fed, [rep.sources[0], bad_file])
    assert not bad.ok and len(bad.mismatches) == 1 and not bad.ref_mismatches
    msg = str(bad.mismatches[0])
    assert msg.startswith("step 2 node 1: h.1.gelu") and "differs at element 37 " in msg, msg

    # negative 2: the ISS on images where node 1's layer-1 c_fc stream has one byte flipped (the top
    # byte of row 0's bias: element 256 of the gathered GELU output, node 1's first row)
    flipped = compile_model(qm, 2, _hw_for(cfg, 2)[0])
    fc1 = [ins for ins in flipped.nodes[1].program if ins.OP == isa.Op.MP and ins.mode == isa.MpMode.GELU][1]
    flipped.nodes[1].channels[0][fc1.w_base + 3] ^= 0x40
    bad = check_dump(img, qm, fed, rep.sources, ref_image=flipped)
    assert not bad.ok and bad.ref_mismatches  # the flipped ISS also differs from the integer reference
    first = bad.mismatches[0]
    assert (first.step, first.name) == (0, "h.1.gelu") and "differs at element 256 " in str(first), str(first)
    assert {m.node for m in bad.mismatches if m.step == 0 and m.name == "h.1.gelu"} == {0, 1}


@pytest.mark.parametrize("nodes", [1, 2, 4, 8])
def test_debug_dump_names(tmp_path, nodes):
    """The dump's checker without a simulation: records in the monitor's format written from the ISS
    itself pass, every named vector of the ISS equals the integer reference's on 1 to 8 nodes (nodes
    without heads have no qkv), and a record dropped from a gather is reported as a missing beat."""
    from refmodel import isa
    from refmodel.compiler import compile_model
    from refmodel.iss import SystemIss
    from refmodel.quantize import quantize
    from verif.system.dump import check_dump
    from verif.system.engine import _hw_for

    cfg = get_config("tiny-v512")
    qm = quantize(cfg, random_weights(cfg, 0))
    img = compile_model(qm, nodes, _hw_for(cfg, nodes)[0])
    tokens = [11, 400]
    iss = SystemIss(img, record=True)
    lines = [[] for _ in range(nodes)]
    for step, tok in enumerate(tokens):
        iss.step(tok, step)
        for n in range(nodes):
            for w in iss.writes[n]:
                pc = img.nodes[n].prog_base + w.pc * isa.INSTR_BYTES
                for b in range(len(w.data) // 32):
                    beat = int.from_bytes(w.data[32 * b : 32 * b + 32], "little")
                    lines[n].append(f"{step} {step} 0 {w.unit} {pc:08x} {w.beat + b} {beat:064x}")
    files = [tmp_path / f"abuf.n{n}" for n in range(nodes)]
    for f, ln in zip(files, lines):
        f.write_text("\n".join(ln) + "\n")
    rep = check_dump(img, qm, tokens, files)
    with_heads = sum(1 for node in img.nodes if node.heads[1] > node.heads[0])
    assert rep.ok, rep.summary()
    assert rep.ref_checked == rep.vectors == len(tokens) * ((2 + 6 * cfg.n_layer) * nodes + cfg.n_layer * with_heads)
    # drop the last record of node 0 (the last beat of its ln_f)
    files[0].write_text("\n".join(lines[0][:-1]) + "\n")
    bad = check_dump(img, qm, tokens, files)
    assert [str(m).split(" (")[0] for m in bad.mismatches] == ["step 1 node 0: ln_f"]
    assert "written by only one of hardware and ISS" in str(bad.mismatches[0])
