"""Nightly system runs (`@pytest.mark.slow`, a minute or more each): more nodes, deeper models and
harsher memories than the token test of the full tier (`test_system.py`), through the same engine
(`verif/system/engine.py`) and the same cocotb test (`test_system.py::token_steps`), which compares
every node's TOKEN_OUT with the integer reference at every step (zero tolerance).

- `test_tokens_8_nodes`: `tiny-h8` (8 heads of 64, d = 512) on an 8-node ring, one head per node;
  its cycles are also checked against the whole-token cycle model (within its tolerance);
- `test_tokens_deep_4_nodes`: `tiny-deep` (4 layers, context 256) on 4 nodes, cycles as modelled;
- `test_tokens_mem_stall`: tiny-v512 on 2 and 4 nodes with every memory channel refusing handshakes at
  random (`mem_stall`, probability /256 per cycle, ll_axi_mem_sim);
- `test_tokens_long_latency`: tiny-v512 on 2 and 4 nodes with a read latency of 100 cycles.

The stall and latency runs check the tokens, not the whole-token cycle model (it assumes an unstalled
memory with latency 16); every step must still take more cycles than the same step with the default
memory (one baseline run per node count, shared by both tests), so the setting demonstrably took
effect.
"""

from __future__ import annotations

import numpy as np
import pytest

from refmodel.checkpoint import random_weights
from refmodel.config import get_config
from verif.system.engine import run_system


def _prompt(cfg, n: int, seed: int) -> list[int]:
    return [int(t) for t in np.random.default_rng(seed).integers(0, cfg.vocab_size, n)]


def _check(run, steps: int) -> None:
    assert len(run.outputs) == steps, f"{len(run.outputs)} steps, want {steps}"
    bad = [(i, o, e) for i, (o, e) in enumerate(zip(run.outputs, run.expected)) if o != e]
    assert not bad and len(run.expected) == steps, f"(step, hardware, reference) differ: {bad}"


def _check_model(cfg, nodes: int, run) -> None:
    """Every step's CYCLES (slowest node) against the whole-token cycle model (docs/performance.md)."""
    from refmodel.cyclemodel.system import TOLERANCE, token_cycles, within_tolerance

    for pos, cyc in enumerate(run.cycles):
        pred = token_cycles(cfg, nodes, pos, mem_latency=16).cycles
        assert within_tolerance(pred, max(cyc)), f"pos {pos}: CYCLES {cyc}, model {pred} (tolerance {TOLERANCE:.0%})"


@pytest.mark.slow
def test_tokens_8_nodes():
    """tiny-h8 on 8 nodes (MhaHeads 1): a 4-token prompt and 3 generated tokens, cycles as modelled."""
    cfg = get_config("tiny-h8")
    run = run_system(cfg, random_weights(cfg, 0), 8, _prompt(cfg, 4, 8), 4, tag="slow-h8-n8")
    _check(run, 7)
    assert all(len(c) == 8 for c in run.cycles)
    _check_model(cfg, 8, run)


@pytest.mark.slow
def test_tokens_deep_4_nodes():
    """tiny-deep on 4 nodes: a 12-token prompt and 8 generated tokens, cycles as modelled."""
    cfg = get_config("tiny-deep")
    run = run_system(cfg, random_weights(cfg, 2), 4, _prompt(cfg, 12, 4), 9, tag="slow-deep-n4")
    _check(run, 20)
    _check_model(cfg, 4, run)


_BASE: dict[int, list[list[int]]] = {}


def _default_cycles(cfg, weights, nodes, prompt, n_tokens):
    """Cycles per step with the default memory (latency 16, no stall), tokens checked as well."""
    if nodes not in _BASE:
        run = run_system(cfg, weights, nodes, prompt, n_tokens, tag=f"slow-base-n{nodes}")
        _check(run, len(prompt) + n_tokens - 1)
        _BASE[nodes] = run.cycles
    return _BASE[nodes]


@pytest.mark.slow
@pytest.mark.parametrize("nodes", [2, 4])
def test_tokens_mem_stall(nodes):
    """tiny-v512, memory channels stalling with probability 96/256 per cycle: 4 + 3 tokens exact, and
    every step slower than with the unstalled memory."""
    cfg = get_config("tiny-v512")
    w = random_weights(cfg, 0)
    prompt = [11, 400, 7, 93]
    run = run_system(cfg, w, nodes, prompt, 4, tag=f"slow-stall-n{nodes}", mem_stall=96)
    _check(run, 7)
    base = _default_cycles(cfg, w, nodes, prompt, 4)
    assert all(max(s) > max(b) for s, b in zip(run.cycles, base)), (run.cycles, base)


@pytest.mark.slow
@pytest.mark.parametrize("nodes", [2, 4])
def test_tokens_long_latency(nodes):
    """tiny-v512 with a 100-cycle memory read latency: 4 + 3 tokens exact, every step slower than
    with the default latency of 16."""
    cfg = get_config("tiny-v512")
    w = random_weights(cfg, 0)
    prompt = [11, 400, 7, 93]
    run = run_system(cfg, w, nodes, prompt, 4, tag=f"slow-lat100-n{nodes}", mem_latency=100)
    _check(run, 7)
    base = _default_cycles(cfg, w, nodes, prompt, 4)
    assert all(max(s) > max(b) for s, b in zip(run.cycles, base)), (run.cycles, base)
