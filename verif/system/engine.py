"""The simulated accelerator as a generation engine (`looplynx generate --engine rtl`).

`run_system()` quantises and compiles a model for N nodes, writes every node's memory-channel
images to files that the simulated memories load at time 0, builds (once per parameter set) and runs
the system testbench `ll_system_tb` in Verilator, and returns the tokens the hardware produced with
its cycle counts. The cocotb side (`verif/system/test_system.py::token_steps`) only touches control
registers: it never moves a memory beat from Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from verif.lib.runner import BUILD_ROOT, run_sim

MODULE = "system"
UNITS = ["EMBED", "LNR", "MP", "MHA", "RING", "ARGMAX"]
CLOCK_HZ = 285e6  # the modelled clock (the paper's)
# The system model is one large C++ file: compiling it without optimisation is several times faster
# and the short token runs of the tests do not need the faster simulation.
SYSTEM_MAKE = {"OPT_FAST": "-O0"}

@dataclass
class SystemRun:
    prompt_ids: list[int]
    generated_ids: list[int]
    outputs: list[int]  # TOKEN_OUT after every step (prompt included)
    cycles: list[list[int]]  # per step, per node
    busy: list[dict]  # per step: node 0 busy cycles per unit
    expected: list[int] = field(default_factory=list)  # the integer reference, per step
    wall_s: list[float] = field(default_factory=list)  # simulation wall time per step

    @property
    def sim_cycles_per_s(self) -> float:
        """Simulated clock cycles per second of wall time (the whole system, all nodes)."""
        return sum(max(c) for c in self.cycles) / max(sum(self.wall_s), 1e-9)

    def ms(self, step: int) -> float:
        return max(self.cycles[step]) / CLOCK_HZ * 1e3

def _hw_for(cfg, nodes: int):
    from refmodel.compiler import HwConfig
    from refmodel.partition import split_heads

    heads = max(max(b - a for a, b in split_heads(cfg.n_head, nodes)), 1)
    return HwConfig(max_ctx=cfg.n_positions, max_heads=heads, abuf_beats=512), heads

def run_system(config, weights: dict, nodes: int, prompt_ids: list[int], n_tokens: int, *, tag: str,
               mem_latency: int = 16, mem_stall: int = 0, reference: bool = True,
               max_cycles: int = 2_000_000) -> SystemRun:
    """Run prompt + greedy generation on the simulated system; `reference` also computes the integer
    reference tokens (`expected`) and makes the testbench assert them step by step."""
    from refmodel.compiler import compile_model
    from refmodel.int_model import IntGPT2
    from refmodel.quantize import quantize

    qm = quantize(config, weights)
    hw, heads = _hw_for(config, nodes)
    img = compile_model(qm, nodes, hw)
    steps = len(prompt_ids) + n_tokens - 1
    if steps > config.n_positions:
        raise ValueError(f"{steps} steps exceed the context of {config.n_positions}")
    out = BUILD_ROOT / MODULE / "cases" / tag
    out.mkdir(parents=True, exist_ok=True)
    plus = []
    for node in img.nodes:
        for p, ch in enumerate(node.channels):
            f = out / f"n{node.node}c{p}.bin"
            f.write_bytes(bytes(ch) if len(ch) else bytes(32))
            plus.append(f"+n{node.node}c{p}_load0={f}")
    expected: list[int] = []
    if reference:
        ref = IntGPT2(qm)
        feed = list(prompt_ids)
        for pos in range(steps):
            nxt = ref.step(feed[pos], pos)
            expected.append(nxt)
            if pos + 1 >= len(feed):
                feed.append(nxt)
    report = out / "report.json"
    if report.exists():
        report.unlink()
    case = dict(nodes=nodes, prompt=list(prompt_ids), steps=steps, expected=expected,
                prog_base=[n.prog_base for n in img.nodes], max_cycles=max_cycles, report=str(report),
                mem_latency=mem_latency, mem_stall=mem_stall)
    (out / "case.json").write_text(json.dumps(case))
    run_sim(module=MODULE, toplevel="ll_system_tb", test_module="verif.system.test_system",
            parameters=dict(NumNodes=nodes, MhaHeads=heads, MaxCtx=config.n_positions),
            extra_build_args=["--output-split", "0"], plusargs=plus, make_overrides=SYSTEM_MAKE,
            extra_env={"SYSTEM_CASE": str(out / "case.json")}, testcase="token_steps", run_name=tag)
    rows = json.loads(report.read_text())
    outputs = [r["next"] for r in rows]
    return SystemRun(list(prompt_ids), outputs[len(prompt_ids) - 1 :], outputs,
                     [r["cycles"] for r in rows], [r["busy"] for r in rows], expected,
                     [r.get("wall_s", 0.0) for r in rows])

def print_run(run: SystemRun, decode=None) -> None:
    """A per-token table: token in, token out, cycles, modelled ms at 285 MHz, busy cycles per unit."""
    print(f"{'pos':>4} {'in':>6} {'out':>6} {'ref':>6} {'cycles':>8} {'ms@285MHz':>10}  "
          + " ".join(f"{u:>7}" for u in UNITS))
    seq = run.prompt_ids + run.generated_ids
    for i, (o, c, b) in enumerate(zip(run.outputs, run.cycles, run.busy)):
        ref = run.expected[i] if run.expected else ""
        print(f"{i:>4} {seq[i]:>6} {o:>6} {ref!s:>6} {max(c):>8} {run.ms(i):>10.4f}  "
              + " ".join(f"{b[u]:>7}" for u in UNITS))
    if run.expected:
        same = run.outputs == run.expected
        print("hardware and integer reference agree on every token" if same else
              f"MISMATCH: hardware {run.outputs} reference {run.expected}")
    if run.wall_s:
        print(f"simulation speed: {run.sim_cycles_per_s:,.0f} simulated cycles/s "
              f"({len(run.cycles[0])} nodes, Verilator, this machine)")
    if decode is not None:
        print(f"generated text: {decode(run.generated_ids)!r}")

