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
    """No weight prefetch yet: every op that reads memory first exposes the latency once on the critical
    path. tiny-v512, 1 node: 9 matrices (4 per layer + LM head), 2 attention runs, the embedding and
    the first program fetch = 13 cycles per cycle of latency. GPT-2 medium adds the 49 LayerNorms of
    d = 1024, whose parameter stream cannot be fully prefetched: 97 + 24 + 1 + 1 + 49 = 172."""
    def slope(name, pos):
        cfg = get_config(name)
        return (system.token_cycles(cfg, 1, pos, mem_latency=17).cycles
                - system.token_cycles(cfg, 1, pos, mem_latency=16).cycles)

    assert slope("tiny-v512", 0) == 13
    assert slope("gpt2-medium", 639) == 172


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
