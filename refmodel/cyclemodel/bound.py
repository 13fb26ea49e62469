"""The memory bound of a decode step: the cycles needed just to read every weight and KV byte once.

Per node, weights are split by rows and the KV cache by heads (refmodel.partition), so the slowest
node's bytes set the bound; a node reads NUM_PE ports x LANES bytes per cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import GPT2Config
from ..parallel import ROW_ALIGN
from ..partition import split_heads, split_range

CLOCK_HZ = 285e6  # the paper's clock
PAPER_MS = {1: 6.59, 2: 3.85, 4: 2.55}  # LoopLynx, GPT-2 medium, ms per token


@dataclass
class Bound:
    weight_bytes: int  # the slowest node's weight bytes (int8 payload, excluding per-row words)
    kv_bytes: int  # the slowest node's KV bytes read at this position
    cycles: int

    @property
    def ms(self) -> float:
        return self.cycles / CLOCK_HZ * 1e3


def memory_bound(cfg: GPT2Config, nodes: int, pos: int, num_pe: int = 8, lanes: int = 32,
                 lm_head: bool = True) -> Bound:
    """Bound for the token at position `pos` (it reads K/V rows 0..pos)."""
    d, dff, V = cfg.n_embd, cfg.d_ff, cfg.vocab_size
    worst_w = worst_kv = worst_c = 0
    for n in range(nodes):
        r_d = split_range(d, nodes, ROW_ALIGN)[n]
        r_ff = split_range(dff, nodes, ROW_ALIGN)[n]
        r_v = split_range(V, nodes, ROW_ALIGN)[n]
        h0, h1 = split_heads(cfg.n_head, nodes)[n]
        rows_d, rows_ff = r_d[1] - r_d[0], r_ff[1] - r_ff[0]
        per_layer = 3 * (h1 - h0) * cfg.d_head * d + rows_d * d + rows_ff * d + rows_d * dff
        w = cfg.n_layer * per_layer + ((r_v[1] - r_v[0]) * d if lm_head else 0)
        kv = cfg.n_layer * 2 * (h1 - h0) * cfg.d_head * (pos + 1)
        c = -(-(w + kv) // (num_pe * lanes))
        if c > worst_c:
            worst_w, worst_kv, worst_c = w, kv, c
    return Bound(worst_w, worst_kv, worst_c)
