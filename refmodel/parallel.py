"""Tensor-parallel functional model: the integer forward pass split over N nodes as the hardware does.

Each node holds only its slices: its heads' rows of c_attn and its heads' KV cache, a contiguous row
range of c_proj, c_fc, c_proj (MLP) and of the LM head (refmodel.partition). Every stage that produces a
distributed vector ends in an explicit ring all-gather; LayerNorms and residual adds run redundantly on
every node on identical data; the LM head ends in a local argmax and a ring reduction of (value, index)
pairs. The result is bit-identical to the single-node IntGPT2 (tests prove it for N = 2, 4, 8).
"""

from __future__ import annotations

import numpy as np

from . import intops as io
from .partition import split_heads, split_range
from .qmodel import QModel

# Row alignment of the output slices: one 256-bit beat of int8 values. Wide (int24-in-32-bit)
# outputs are aligned to the same rows so that int8 and wide vectors share one partition.
ROW_ALIGN = 32


def all_gather(slices: list[np.ndarray]) -> list[np.ndarray]:
    """Ring all-gather: node i contributes slices[i]; every node ends with the concatenation."""
    full = np.concatenate(slices)
    return [full.copy() for _ in slices]


def ring_argmax(pairs: list[tuple[int, int]]) -> tuple[int, int]:
    """Ring reduction of per-node (value, index) pairs, folded in ring order from node 0."""
    acc = pairs[0]
    for p in pairs[1:]:
        acc = io.argmax_reduce(acc, p)
    return acc


class _Node:
    def __init__(self, qm: QModel, nodes: int, idx: int):
        c = qm.config
        d, dh = c.n_embd, c.d_head
        self.h0, self.h1 = split_heads(c.n_head, nodes)[idx]
        heads = range(self.h0, self.h1)
        qkv_rows = np.array(
            [part * d + h * dh + j for part in range(3) for h in heads for j in range(dh)], dtype=np.int64
        )
        r_d = slice(*split_range(d, nodes, ROW_ALIGN)[idx])
        r_ff = slice(*split_range(c.d_ff, nodes, ROW_ALIGN)[idx])
        r_v = slice(*split_range(c.vocab_size, nodes, ROW_ALIGN)[idx])
        self.vocab_start = r_v.start
        self.layers = [
            dict(
                qkv=ly.qkv.rows_slice(qkv_rows),
                proj=ly.proj.rows_slice(r_d),
                fc1=ly.fc1.rows_slice(r_ff),
                fc2=ly.fc2.rows_slice(r_d),
            )
            for ly in qm.layers
        ]
        self.head = qm.head.rows_slice(r_v)
        nh = self.h1 - self.h0
        self.k_cache = np.zeros((c.n_layer, nh, c.n_positions, dh), dtype=np.int8)
        self.v_cache = np.zeros_like(self.k_cache)


class ParallelIntGPT2:
    def __init__(self, qm: QModel, nodes: int):
        self.qm = qm
        self.nodes = [_Node(qm, nodes, i) for i in range(nodes)]
        self.next_pos = 0

    def reset(self) -> None:
        for n in self.nodes:
            n.k_cache[...] = 0
            n.v_cache[...] = 0
        self.next_pos = 0

    def preload_kv(self, k: np.ndarray, v: np.ndarray) -> None:
        """Start at position T with K/V rows 0..T-1 of the whole model given (int8 [n_layer, n_head, T,
        d_head]); every node keeps its own heads' rows (refmodel.preload)."""
        from .preload import check_kv

        t_len = check_kv(self.qm.config, k, v)
        self.reset()
        for n in self.nodes:
            n.k_cache[:, :, :t_len] = k[:, n.h0:n.h1]
            n.v_cache[:, :, :t_len] = v[:, n.h0:n.h1]
        self.next_pos = t_len

    def step_logits(self, token: int, pos: int, dump: dict | None = None) -> tuple[list[np.ndarray], int]:
        qm, c = self.qm, self.qm.config
        if pos != self.next_pos or pos >= c.n_positions or not 0 <= token < c.vocab_size:
            raise ValueError(f"bad token/position ({token}, {pos})")
        dh = c.d_head
        rec = dump if dump is not None else {}
        res = [io.embed(qm.wte[token], qm.wte_m[token], qm.wte_s[token], qm.wpe[pos], qm.wpe_m[pos], qm.wpe_s[pos])
               for _ in self.nodes]
        rec["embed"] = res[0]
        for li, ly in enumerate(qm.layers):
            p = f"h.{li}."
            a = [ly.ln1(r) for r in res]
            ctx_slices = []
            for n, an in zip(self.nodes, a):
                nh = n.h1 - n.h0
                qkv = n.layers[li]["qkv"](an)
                q, k, v = qkv[: nh * dh], qkv[nh * dh : 2 * nh * dh], qkv[2 * nh * dh :]
                n.k_cache[li, :, pos] = k.reshape(nh, dh)
                n.v_cache[li, :, pos] = v.reshape(nh, dh)
                ctx_slices.append(np.concatenate(
                    [io.attention_head(q[h * dh:(h + 1) * dh].astype(np.int8), n.k_cache[li, h, :pos + 1],
                                       n.v_cache[li, h, :pos + 1], ly.sm_m, ly.sm_s, ly.ctx_m, ly.ctx_s)
                     for h in range(nh)] or [np.zeros(0, dtype=np.int64)]))
            ctx = all_gather(ctx_slices)
            attn = all_gather([n.layers[li]["proj"](x.astype(np.int8)) for n, x in zip(self.nodes, ctx)])
            res = [io.residual_add(r, y) for r, y in zip(res, attn)]
            rec[p + "ln_1"], rec[p + "attn_ctx"], rec[p + "attn_proj"], rec[p + "res_attn"] = a[0], ctx[0], attn[0], res[0]
            a2 = [ly.ln2(r) for r in res]
            hid = all_gather([n.layers[li]["fc1"](x) for n, x in zip(self.nodes, a2)])
            mlp = all_gather([n.layers[li]["fc2"](x.astype(np.int8)) for n, x in zip(self.nodes, hid)])
            res = [io.residual_add(r, y) for r, y in zip(res, mlp)]
            rec[p + "ln_2"], rec[p + "gelu"], rec[p + "mlp_proj"], rec[p + "res_mlp"] = a2[0], hid[0], mlp[0], res[0]
            for other in res[1:]:
                assert np.array_equal(other, res[0]), "nodes diverged"
        f = [qm.ln_f(r) for r in res]
        logit_slices = [n.head(x.astype(np.int8)) for n, x in zip(self.nodes, f)]
        pairs = []
        for n, sl in zip(self.nodes, logit_slices):
            if sl.size:
                val, i = io.argmax_int(sl)
                pairs.append((val, n.vocab_start + i))
        best = ring_argmax(pairs)
        rec["ln_f"], rec["logits"] = f[0], np.concatenate(logit_slices)
        self.next_pos = pos + 1
        return logit_slices, best[1]

    def step(self, token: int, pos: int, dump: dict | None = None) -> int:
        return self.step_logits(token, pos, dump)[1]
