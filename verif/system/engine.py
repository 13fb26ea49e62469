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
#: The long GPT-2-shape runs (verif/system/test_gpt2.py): the per-cycle model code at -O2, in files split
#: by Verilator (SYSTEM_SPLIT_LONG) so that the tens of MB of one-time initialisation code stay at -O0
#: (one file would be compiled whole at OPT_FAST). Measured in docs/performance.md ("Simulation speed"):
#: the build takes longer, a million-cycle token simulates several times faster.
SYSTEM_MAKE_LONG = {"OPT_FAST": "-O2", "OPT_SLOW": "-O0"}
SYSTEM_SPLIT_LONG = ["--output-split", "20000"]

@dataclass
class SystemRun:
    prompt_ids: list[int]
    generated_ids: list[int]
    outputs: list[int]  # TOKEN_OUT after every step (prompt included)
    cycles: list[list[int]]  # per step, per node
    busy: list[dict]  # per step: node 0 busy cycles per unit
    expected: list[int] = field(default_factory=list)  # the integer reference, per step
    wall_s: list[float] = field(default_factory=list)  # simulation wall time per step
    build_s: float = 0.0  # Verilator build wall time of this run (near 0 when the build was up to date)
    sim_s: float = 0.0  # simulator wall time: image load + every step
    dump: object = None  # with run_system(dump=...): the debug dump's verif.system.dump.DumpReport

    @property
    def sim_cycles_per_s(self) -> float:
        """Simulated clock cycles per second of wall time (the whole system, all nodes)."""
        return sum(max(c) for c in self.cycles) / max(sum(self.wall_s), 1e-9)

    def ms(self, step: int) -> float:
        return max(self.cycles[step]) / CLOCK_HZ * 1e3

def _hw_for(cfg, nodes: int, mem_base: tuple = (), mem_alias: tuple = ()):
    from refmodel.compiler import HwConfig
    from refmodel.partition import split_heads

    heads = max(max(b - a for a, b in split_heads(cfg.n_head, nodes)), 1)
    return HwConfig(max_ctx=cfg.n_positions, max_heads=heads, abuf_beats=512, mem_base=tuple(mem_base),
                    mem_alias=tuple(mem_alias)), heads

def run_system(config, weights: dict | None, nodes: int, prompt_ids: list[int], n_tokens: int, *, tag: str,
               mem_latency: int = 16, mem_stall: int = 0, reference: bool = True,
               max_cycles: int = 2_000_000, start_pos: int = 0, kv_seed: int = 0, qmodel=None,
               make_overrides: dict | None = None, watchdog: int = 200_000,
               dump: bool | str | Path = False, mem_base: tuple = (), mem_alias: tuple = (),
               image_hook=None, quiet: bool = False) -> SystemRun:
    """Run prompt + greedy generation on the simulated system; `reference` also computes the integer
    reference tokens (`expected`) and makes the testbench assert them step by step.

    `start_pos` > 0 starts the prompt at that position with the KV cache of positions 0..start_pos-1
    preloaded with seeded random rows (`refmodel.preload.random_kv(config, start_pos, kv_seed)`), the
    same in the reference and in every node's memory image. `qmodel` is an already quantised model
    (then `weights` is not used); `make_overrides` replaces the C++ optimisation of the build
    (`SYSTEM_MAKE`, or `SYSTEM_MAKE_LONG` for the GPT-2-shape runs); `watchdog` is the scheduler's
    WATCHDOG (cycles without a launch or done: one GPT-2 LM-head op on one node takes about 200 K).
    `dump` (True or a folder for the per-step .npz files) records every activation-buffer write of every
    node (the debug dump, docs/node.md) and compares every intermediate vector with the ISS and the
    integer reference (`run.dump`, a `verif.system.dump.DumpReport`). `mem_base[n]` places node n's
    memory images (and so every address of its program) at that byte address instead of 0
    (`HwConfig.mem_base`; below the testbench memories' 2 GiB); `mem_alias[n]` loads a second copy there
    and alternates the compiler's allocations between the copies (`HwConfig.mem_alias`). `image_hook(img)`, if given, may edit the
    compiled `SystemImage` in place before its memory images are written (e.g. re-encode the programs).
    `quiet` (the command line) sends the simulator build output to its build folder's `build.log`."""
    from refmodel.compiler import compile_model
    from refmodel.int_model import IntGPT2
    from refmodel.preload import preload_image, random_kv
    from refmodel.quantize import quantize

    qm = qmodel if qmodel is not None else quantize(config, weights)
    hw, heads = _hw_for(config, nodes, mem_base, mem_alias)
    img = compile_model(qm, nodes, hw)
    kv = random_kv(config, start_pos, kv_seed) if start_pos else None
    if kv is not None:
        preload_image(img, *kv)
    if image_hook is not None:
        image_hook(img)
    steps = len(prompt_ids) + n_tokens - 1
    if start_pos + steps > config.n_positions:
        raise ValueError(f"{steps} steps from position {start_pos} exceed the context of {config.n_positions}")
    out = BUILD_ROOT / MODULE / "cases" / tag
    out.mkdir(parents=True, exist_ok=True)
    plus = []
    for node in img.nodes:
        for p, ch in enumerate(node.channels):
            f = out / f"n{node.node}c{p}.bin"
            f.write_bytes(bytes(ch) if len(ch) else bytes(32))
            plus.append(f"+n{node.node}c{p}_load0={f}")
            if node.mem_base:
                plus.append(f"+n{node.node}c{p}_base0={node.mem_base:x}")
            if node.mem_alias:
                plus += [f"+n{node.node}c{p}_load1={f}", f"+n{node.node}c{p}_base1={node.mem_alias:x}"]
    dump_files = [out / f"abuf.n{n}" for n in range(nodes)]
    for f in dump_files:
        f.unlink(missing_ok=True)
    if dump:
        plus.append(f"+dump={out / 'abuf'}")
    expected: list[int] = []
    if reference:
        ref = IntGPT2(qm)
        if kv is not None:
            ref.preload_kv(*kv)
        feed = list(prompt_ids)
        for i in range(steps):
            nxt = ref.step(feed[i], start_pos + i)
            expected.append(nxt)
            if i + 1 >= len(feed):
                feed.append(nxt)
        del ref
    report = out / "report.json"
    if report.exists():
        report.unlink()
    case = dict(nodes=nodes, prompt=list(prompt_ids), steps=steps, expected=expected,
                prog_base=[n.prog_base for n in img.nodes], max_cycles=max_cycles, report=str(report),
                mem_latency=mem_latency, mem_stall=mem_stall, start_pos=start_pos,
                watchdog=watchdog)
    (out / "case.json").write_text(json.dumps(case))
    sim = run_sim(module=MODULE, toplevel="ll_system_tb", test_module="verif.system.test_system",
            parameters=dict(NumNodes=nodes, MhaHeads=heads, MaxCtx=config.n_positions),
            extra_build_args=SYSTEM_SPLIT_LONG if make_overrides == SYSTEM_MAKE_LONG else ["--output-split", "0"],
            plusargs=plus,
            make_overrides=SYSTEM_MAKE if make_overrides is None else make_overrides,
            extra_env={"SYSTEM_CASE": str(out / "case.json")}, testcase="token_steps", run_name=tag,
            quiet=quiet)
    rows = json.loads(report.read_text())
    outputs = [r["next"] for r in rows]
    run = SystemRun(list(prompt_ids), outputs[len(prompt_ids) - 1 :], outputs,
                    [r["cycles"] for r in rows], [r["busy"] for r in rows], expected,
                    [r.get("wall_s", 0.0) for r in rows], sim.build_s, sim.total_s - sim.build_s)
    if dump:
        from verif.system.dump import check_dump

        fed = (list(prompt_ids) + outputs[len(prompt_ids) - 1 :])[:steps]
        run.dump = check_dump(img, qm, fed, dump_files, out / "dump" if dump is True else Path(dump),
                              start_pos=start_pos, kv=kv)
    return run

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

