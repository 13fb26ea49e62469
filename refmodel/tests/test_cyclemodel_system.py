"""The whole-token cycle model (refmodel/cyclemodel/system.py) against RTL measurements.

system.MEASURED pins CYCLES of every node as verif/system/test_system.py::token_steps read them from the
control registers (random weights seed 0, prompt [11, 400, 7, 93] or [11, 400] then greedy tokens,
memory read latency 16, no memory stalls) for the node RTL as it is now; system.MEASURED_BUSY pins
UNIT_BUSY of node 0. The glue constants of the model were set on the one-node tiny-v512 run only
(docs/performance.md); every other entry is a prediction. The model must be within system.TOLERANCE
(1 %) of the slowest node at every step; verif/system/test_system.py asserts the same on its runs.
"""

import time

import pytest

from refmodel.compiler import CompileError, HwConfig
from refmodel.config import get_config
from refmodel.cyclemodel import system
from refmodel.cyclemodel.bound import memory_bound

MEASURED = system.MEASURED  # pinned RTL measurements (documented in the model module)
FITTED_ON = system.MEASURED_FIT

CASES = [(name, nodes, pos, cyc) for (name, nodes), steps in MEASURED.items() for pos, cyc in steps.items()]


@pytest.mark.parametrize("name,nodes,pos,measured", CASES,
                         ids=[f"{c[0]}-n{c[1]}-p{c[2]}" for c in CASES])
def test_model_matches_rtl(name, nodes, pos, measured):
    b = system.token_cycles(system.measured_config(name), nodes, pos, mem_latency=16)
    assert system.within_tolerance(b.cycles, max(measured)), \
        f"{name} on {nodes} nodes at {pos}: model {b.cycles}, RTL {max(measured)} (tolerance {system.TOLERANCE:.0%})"


@pytest.mark.parametrize("key", list(system.MEASURED_BUSY), ids=[f"{k[0]}-n{k[1]}" for k in system.MEASURED_BUSY])
def test_unit_busy_matches_rtl(key):
    """Per-unit busy cycles (UNIT_BUSY of node 0 at position 0): within 1 % or 12 cycles per unit."""
    b = system.token_cycles(system.measured_config(key[0]), key[1], 0, mem_latency=16)
    for name, meas in zip(system.UNIT_NAMES, system.MEASURED_BUSY[key]):
        got = b.busy[0][name]
        assert abs(got - meas) <= max(12, system.TOLERANCE * meas), f"{name}: model {got}, RTL {meas}"


def test_predictions_not_only_fits():
    assert set(MEASURED) - FITTED_ON, "at least one measured configuration is a prediction"


def test_breakdown_consistent():
    b = system.token_cycles(get_config("tiny-v512"), 2, 3)
    assert sum(b.critical.values()) == b.cycles
    assert b.cycles == max(b.per_node) and len(b.per_node) == 2
    # every node runs its LNRs serially: 5 LayerNorms of d = 128, each busy from the cycle after its
    # launch (the kernel starts one cycle after the launch handshake) to its done
    assert b.busy[0]["LNR"] == 5 * (1 + system.lnr_model.lnr_cycles(128, 8, "add_ln") + system.GLUE["LNR"])


def test_attention_grows_with_position():
    cfg = get_config("tiny-deep")
    c = [system.token_cycles(cfg, 1, p).cycles for p in (0, 8, 64, 200)]
    assert c == sorted(c) and c[-1] > c[0]


def test_memory_latency_costs_per_matrix():
    """With the MP weight prefetch a matrix exposes the memory latency only when its input is ready by
    the time it is launched: the MLP's second matrix (launched when the first is done, whose output
    completes its own input) in every layer. tiny-v512, 1 node: 2 such matrices, 2 attention runs, the
    embedding and the first program fetch = 6 cycles per cycle of latency (13 without the prefetch).
    GPT-2 medium adds the 49 LayerNorms of d = 1024, whose parameter stream cannot be fully prefetched:
    24 + 24 + 1 + 1 + 49 = 99 (172 without the prefetch)."""
    def slope(name, pos):
        cfg = get_config(name)
        return (system.token_cycles(cfg, 1, pos, mem_latency=17).cycles
                - system.token_cycles(cfg, 1, pos, mem_latency=16).cycles)

    assert slope("tiny-v512", 0) == 6
    assert slope("gpt2-medium", 639) == 99


@pytest.mark.parametrize("nodes", [1, 2, 4])
def test_gpt2_medium_is_cheap_and_above_the_bound(nodes):
    cfg = get_config("gpt2-medium")
    t0 = time.perf_counter()
    b = system.token_cycles(cfg, nodes, 639)
    assert time.perf_counter() - t0 < 5
    bound = memory_bound(cfg, nodes, 639)
    assert bound.cycles < b.cycles < 2 * bound.cycles


def test_bad_inputs():
    cfg = get_config("tiny-v512")
    with pytest.raises(ValueError):
        system.token_cycles(cfg, 1, cfg.n_positions)
    with pytest.raises(ValueError):
        system.token_cycles(cfg, 9, 0)
    with pytest.raises(CompileError):
        system.token_cycles(cfg, 1, 0, hw=HwConfig(head_dim=32))


def test_position_dependence_exact():
    """The attention's growth with the position is modelled exactly (tiny-deep, 40 measured steps)."""
    cfg = get_config("tiny-deep")
    meas = MEASURED[("tiny-deep", 1)]
    for p in (8, 16, 24, 32, 39):
        model = system.token_cycles(cfg, 1, p).cycles - system.token_cycles(cfg, 1, 0).cycles
        assert model == max(meas[p]) - max(meas[0]), f"position {p}"


def test_prefetch_against_attention():
    """The projection's weight prefetch delays the MHA's K/V reads by the rule of docs/performance.md
    ("MP weight prefetch"): on tiny-v512 8, 18 and 3 cycles per MHA op on 1, 2, 4 nodes, on tiny (2
    nodes) 18 and 3 (the second projection's prefetch is cut at a 4 KiB boundary), nothing for a GPT-2
    medium layer (4 or more heads per node)."""
    from refmodel import isa
    from refmodel.cyclemodel import mp
    from refmodel.partition import split_heads

    def delays(name, nodes):
        cfg = system.measured_config(name)
        hw = HwConfig(max_ctx=cfg.n_positions, max_heads=max(b - a for a, b in split_heads(cfg.n_head, nodes)))
        _, progs = system.node_programs(cfg, nodes, hw)
        prog = progs[0]
        return [system.mha_prefetch_delay(ins, prog[i + 1], 1, hw, cfg.d_head)
                for i, ins in enumerate(prog) if ins.OP is isa.Op.MHA]

    assert delays("tiny-v512", 1) == [8, 8]
    assert delays("tiny-v512", 2) == [18, 18]
    assert delays("tiny-v512", 4) == [3, 3]
    assert delays("tiny", 2) == [18, 3]
    assert set(delays("medium-layer", 4)) == {0}
    # a port never shortens a burst to fit its prefetch limit
    assert mp.prefetch_bursts(4096 - 3 * 32, 100) == [3, 16]
    assert mp.prefetch_bursts(4096 - 17 * 32, 100) == [16, 1]
    assert mp.prefetch_bursts(0, 100) == [16, 16] and mp.prefetch_bursts(0, 17) == [16, 1]


@pytest.mark.parametrize("name,nodes", [("tiny-v512", 1), ("tiny-v512", 4), ("tiny", 2)])
def test_programs_place_matrices_like_the_compiler(name, nodes):
    """The model's programs carry the compiler's matrix addresses (their 4 KiB boundaries cut prefetch
    bursts), computed from the sizes alone."""
    from refmodel import isa
    from refmodel.checkpoint import random_weights
    from refmodel.compiler import compile_model
    from refmodel.partition import split_heads
    from refmodel.quantize import quantize

    cfg = system.measured_config(name)
    hw = HwConfig(max_ctx=cfg.n_positions, max_heads=max(b - a for a, b in split_heads(cfg.n_head, nodes)))
    img = compile_model(quantize(cfg, random_weights(cfg, 0)), nodes, hw)
    _, progs = system.node_programs(cfg, nodes, hw)
    for node, prog in zip(img.nodes, progs):
        want = [(i.w_base, i.rows, i.din_beats) for i in node.program if i.OP is isa.Op.MP]
        assert [(i.w_base, i.rows, i.din_beats) for i in prog if i.OP is isa.Op.MP] == want
