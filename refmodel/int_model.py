"""The integer-only GPT-2: the bit-exact specification of one token step of the accelerator.

Every value in here is an integer numpy array or a Python int; the operations are those of `intops`
(docs/numerics.md). `step()` takes a token id and its position and returns the greedy next token, the
same contract as the float engine and the RTL engine. With `dump` it records every intermediate vector
under a stable name (the same names the RTL's debug dump uses), so a mismatch is traced to the first op
that differs.
"""

from __future__ import annotations

import numpy as np

from . import intops as io
from .qmodel import QModel
from .quantize import DEFAULT_SMOOTH_ALPHA, quantize


class IntGPT2:
    """Single-node integer model with an int8 KV cache."""

    def __init__(self, qm: QModel):
        self.qm = qm
        c = qm.config
        shape = (c.n_layer, c.n_head, c.n_positions, c.d_head)
        self.k_cache = np.zeros(shape, dtype=np.int8)
        self.v_cache = np.zeros(shape, dtype=np.int8)
        self.next_pos = 0

    def reset(self) -> None:
        self.k_cache[...] = 0
        self.v_cache[...] = 0
        self.next_pos = 0

    def preload_kv(self, k: np.ndarray, v: np.ndarray) -> None:
        """Start at position T with K/V rows 0..T-1 given (int8 [n_layer, n_head, T, d_head]), as if
        T tokens had been run (refmodel.preload); the next step must be at position T."""
        from .preload import check_kv

        t_len = check_kv(self.qm.config, k, v)
        self.reset()
        self.k_cache[:, :, :t_len] = k
        self.v_cache[:, :, :t_len] = v
        self.next_pos = t_len

    def _check(self, token: int, pos: int) -> None:
        c = self.qm.config
        if not 0 <= token < c.vocab_size:
            raise ValueError(f"token {token} outside the vocabulary (0..{c.vocab_size - 1})")
        if pos != self.next_pos:
            raise ValueError(f"position {pos} given, {self.next_pos} expected (tokens are fed in order)")
        if pos >= c.n_positions:
            raise ValueError(f"position {pos} beyond the context of {c.n_positions}")

    def embed(self, token: int, pos: int) -> np.ndarray:
        qm = self.qm
        return io.embed(qm.wte[token], qm.wte_m[token], qm.wte_s[token], qm.wpe[pos], qm.wpe_m[pos], qm.wpe_s[pos])

    def step_logits(self, token: int, pos: int, dump: dict | None = None) -> np.ndarray:
        """One token step; returns the wide (int24) logits."""
        self._check(token, pos)
        qm, c = self.qm, self.qm.config
        d, dh, H = c.n_embd, c.d_head, c.n_head
        rec = dump if dump is not None else {}
        res = self.embed(token, pos)
        rec["embed"] = res
        for li, ly in enumerate(qm.layers):
            p = f"h.{li}."
            a = ly.ln1(res)
            qkv = ly.qkv(a)
            q, k, v = qkv[:d], qkv[d : 2 * d], qkv[2 * d :]
            self.k_cache[li, :, pos] = k.reshape(H, dh)
            self.v_cache[li, :, pos] = v.reshape(H, dh)
            ctx = np.concatenate(
                [
                    io.attention_head(
                        q[h * dh : (h + 1) * dh].astype(np.int8),
                        self.k_cache[li, h, : pos + 1],
                        self.v_cache[li, h, : pos + 1],
                        ly.sm_m,
                        ly.sm_s,
                        ly.ctx_m,
                        ly.ctx_s,
                    )
                    for h in range(H)
                ]
            )
            attn = ly.proj(ctx.astype(np.int8))
            res = io.residual_add(res, attn)
            rec[p + "ln_1"], rec[p + "qkv"], rec[p + "attn_ctx"] = a, qkv, ctx
            rec[p + "attn_proj"], rec[p + "res_attn"] = attn, res
            a2 = ly.ln2(res)
            hid = ly.fc1(a2)
            mlp = ly.fc2(hid.astype(np.int8))
            res = io.residual_add(res, mlp)
            rec[p + "ln_2"], rec[p + "gelu"], rec[p + "mlp_proj"], rec[p + "res_mlp"] = a2, hid, mlp, res
        f = qm.ln_f(res)
        logits = qm.head(f.astype(np.int8))
        rec["ln_f"], rec["logits"] = f, logits
        self.next_pos = pos + 1
        return logits

    def step(self, token: int, pos: int, dump: dict | None = None) -> int:
        """One token step; returns the greedy next token (ties to the lowest index)."""
        _, idx = io.argmax_int(self.step_logits(token, pos, dump))
        return idx


class IntEngine:
    """Engine adapter (reset/step) over the single-node or the tensor-parallel integer model."""

    def __init__(self, qm: QModel, nodes: int = 1):
        if nodes == 1:
            self.model = IntGPT2(qm)
        else:
            from .parallel import ParallelIntGPT2

            self.model = ParallelIntGPT2(qm, nodes)
        self.nodes = nodes

    def reset(self) -> None:
        self.model.reset()

    def step(self, token: int, pos: int) -> int:
        return self.model.step(token, pos)


def build_engine(config, weights: dict, nodes: int = 1, calib_ids: list[int] | None = None,
                 smooth_alpha=DEFAULT_SMOOTH_ALPHA):
    """Quantise a float model and wrap it as an engine (used by `looplynx generate --engine ref`)."""
    return IntEngine(quantize(config, weights, calib_ids, smooth_alpha), nodes)
