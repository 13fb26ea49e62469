"""Floating-point GPT-2 in numpy: the accuracy reference and the calibration source of the integer model.

The structure is Hugging Face's ``GPT2LMHeadModel`` in inference mode, operation for operation:
learned positions added to token embeddings, pre-LayerNorm blocks (biased variance, ``eps`` from the
config), causal multi-head attention scaled by ``1/sqrt(d_head)``, an MLP with the ``gelu_new`` tanh
approximation, a final LayerNorm and an LM head tied to ``wte``. Computation is in float32 by default
(the precision the published models run in); pass ``dtype=np.float64`` for a tighter reference.

Two ways to run it: :meth:`FloatGPT2.step` feeds one token at a time through a KV cache (what the
accelerator does); :meth:`FloatGPT2.forward` recomputes a whole sequence without a cache (to check the
cache path). Both can return the named intermediate activations (``record=True``), see
:data:`ACTIVATION_NAMES`.
"""

from __future__ import annotations

import math

import numpy as np

from .checkpoint import check_weights
from .config import GPT2Config

# Per-layer activation names (prefixed "h.{i}.") recorded with record=True, in computation order.
# Shapes are for step(); forward() adds a leading T axis (attn_probs becomes [H, T, T]).
LAYER_ACTIVATIONS = {
    "ln_1": "[d]        LayerNorm 1 output (input of c_attn)",
    "q": "[d]        query, heads concatenated (head h is [h*d_head:(h+1)*d_head])",
    "k": "[d]        key of this token (as written to the KV cache)",
    "v": "[d]        value of this token (as written to the KV cache)",
    "attn_scores": "[H, t]     q.k / sqrt(d_head) over the t = pos+1 visible positions",
    "attn_probs": "[H, t]     softmax of attn_scores",
    "attn_ctx": "[d]        attention context (probs @ V), heads concatenated (input of c_proj)",
    "attn_out": "[d]        attention c_proj output (with bias)",
    "resid_attn": "[d]        residual stream after the attention block",
    "ln_2": "[d]        LayerNorm 2 output (input of c_fc)",
    "fc1": "[d_ff]     c_fc output before GELU",
    "gelu": "[d_ff]     GELU output (input of mlp c_proj)",
    "fc2": "[d]        mlp c_proj output (with bias)",
    "resid_mlp": "[d]        residual stream after the MLP block (input of the next layer)",
}
GLOBAL_ACTIVATIONS = {
    "embed": "[d]        wte[token] + wpe[pos] (residual stream entering layer 0)",
    "ln_f": "[d]        final LayerNorm output (input of the LM head)",
    "logits": "[V]        LM head output",
}


def activation_names(config: GPT2Config) -> list[str]:
    """Every key of the dictionary returned with ``record=True``, in computation order."""
    names = ["embed"]
    for i in range(config.n_layer):
        names += [f"h.{i}.{n}" for n in LAYER_ACTIVATIONS]
    return names + ["ln_f", "logits"]


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis with the biased variance, as torch.nn.LayerNorm."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + x.dtype.type(eps)) * gamma + beta


def gelu_new(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (Hugging Face ``gelu_new``, GPT-2's original activation)."""
    c = x.dtype.type(math.sqrt(2.0 / math.pi))
    return x.dtype.type(0.5) * x * (1 + np.tanh(c * (x + x.dtype.type(0.044715) * x * x * x)))


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (max subtracted first)."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class FloatGPT2:
    """GPT-2 forward pass with a KV cache. ``weights`` uses the canonical names of ``checkpoint``."""

    def __init__(self, config: GPT2Config, weights: dict[str, np.ndarray],
                 dtype: type = np.float32) -> None:
        config.validate()
        check_weights(config, weights)
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
        self.config = config
        self.dtype = np.dtype(dtype)
        # float32 weights are used in place (no copy); float64 makes a widened copy.
        self.w = {k: v if v.dtype == self.dtype else v.astype(self.dtype) for k, v in weights.items()}
        shape = (config.n_layer, config.n_head, config.n_positions, config.d_head)
        self.k_cache = np.zeros(shape, dtype=self.dtype)
        self.v_cache = np.zeros(shape, dtype=self.dtype)
        self.n_cached = 0

    def reset(self) -> None:
        """Forget all cached tokens (start a new sequence)."""
        self.n_cached = 0

    # ----------------------------------------------------------------------------------- blocks
    def _ln(self, x: np.ndarray, name: str) -> np.ndarray:
        return layer_norm(x, self.w[name + ".weight"], self.w[name + ".bias"],
                          self.config.layer_norm_epsilon)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def _mlp(self, x: np.ndarray, i: int, rec: dict | None) -> np.ndarray:
        p = f"h.{i}."
        h2 = self._ln(x, p + "ln_2")
        fc1 = self._linear(h2, p + "mlp.c_fc")
        g = gelu_new(fc1)
        fc2 = self._linear(g, p + "mlp.c_proj")
        out = x + fc2
        if rec is not None:
            rec.update({p + "ln_2": h2, p + "fc1": fc1, p + "gelu": g, p + "fc2": fc2,
                        p + "resid_mlp": out})
        return out

    def _head(self, x: np.ndarray, rec: dict | None) -> np.ndarray:
        hf = self._ln(x, "ln_f")
        logits = hf @ self.w["wte.weight"].T
        if rec is not None:
            rec.update({"ln_f": hf, "logits": logits})
        return logits

    # ------------------------------------------------------------------------------- one token
    def step(self, token: int, pos: int, record: bool = False):
        """Feed ``token`` at position ``pos`` (must equal the number of tokens already fed).

        Returns the logits ``[V]`` for the next token, or ``(logits, activations)`` with ``record``.
        """
        cfg = self.config
        if pos != self.n_cached:
            raise ValueError(f"pos {pos} out of order: {self.n_cached} tokens are cached, "
                             f"so the next position is {self.n_cached} (call reset() to restart)")
        if not 0 <= pos < cfg.n_positions:
            raise ValueError(f"pos {pos} is outside the context of {cfg.n_positions} positions")
        if not 0 <= int(token) < cfg.vocab_size:
            raise ValueError(f"token {token} is outside the vocabulary of {cfg.vocab_size}")
        rec: dict | None = {} if record else None
        H, dh = cfg.n_head, cfg.d_head
        scale = self.dtype.type(1.0 / math.sqrt(dh))
        x = self.w["wte.weight"][int(token)] + self.w["wpe.weight"][pos]
        if rec is not None:
            rec["embed"] = x
        for i in range(cfg.n_layer):
            p = f"h.{i}."
            h1 = self._ln(x, p + "ln_1")
            qkv = self._linear(h1, p + "attn.c_attn")
            q, k, v = np.split(qkv, 3)
            self.k_cache[i, :, pos] = k.reshape(H, dh)
            self.v_cache[i, :, pos] = v.reshape(H, dh)
            keys = self.k_cache[i, :, :pos + 1]            # [H, t, dh]
            vals = self.v_cache[i, :, :pos + 1]
            scores = np.einsum("hd,htd->ht", q.reshape(H, dh), keys) * scale
            probs = softmax(scores)
            ctx = np.einsum("ht,htd->hd", probs, vals).reshape(-1)
            attn = self._linear(ctx, p + "attn.c_proj")
            x_attn = x + attn
            if rec is not None:
                rec.update({p + "ln_1": h1, p + "q": q, p + "k": k, p + "v": v,
                            p + "attn_scores": scores, p + "attn_probs": probs,
                            p + "attn_ctx": ctx, p + "attn_out": attn, p + "resid_attn": x_attn})
            x = self._mlp(x_attn, i, rec)
        logits = self._head(x, rec)
        self.n_cached = pos + 1
        return (logits, rec) if record else logits

    # ------------------------------------------------------------------------- whole sequence
    def forward(self, ids, record: bool = False):
        """Logits ``[T, V]`` for a whole sequence, recomputed without the cache (cache untouched)."""
        cfg = self.config
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        T = ids.shape[0]
        if T == 0 or T > cfg.n_positions:
            raise ValueError(f"sequence length {T} must be in 1..{cfg.n_positions}")
        if ids.min() < 0 or ids.max() >= cfg.vocab_size:
            raise ValueError(f"token ids must be in 0..{cfg.vocab_size - 1}")
        rec: dict | None = {} if record else None
        H, dh = cfg.n_head, cfg.d_head
        scale = self.dtype.type(1.0 / math.sqrt(dh))
        causal = np.tril(np.ones((T, T), dtype=bool))
        x = self.w["wte.weight"][ids] + self.w["wpe.weight"][:T]
        if rec is not None:
            rec["embed"] = x
        for i in range(cfg.n_layer):
            p = f"h.{i}."
            h1 = self._ln(x, p + "ln_1")
            qkv = self._linear(h1, p + "attn.c_attn")
            q, k, v = np.split(qkv, 3, axis=-1)
            qh, kh, vh = (a.reshape(T, H, dh).transpose(1, 0, 2) for a in (q, k, v))
            scores = np.where(causal, (qh @ kh.transpose(0, 2, 1)) * scale,
                              self.dtype.type(-np.inf))
            probs = softmax(scores)
            ctx = (probs @ vh).transpose(1, 0, 2).reshape(T, -1)
            attn = self._linear(ctx, p + "attn.c_proj")
            x_attn = x + attn
            if rec is not None:
                rec.update({p + "ln_1": h1, p + "q": q, p + "k": k, p + "v": v,
                            p + "attn_scores": scores, p + "attn_probs": probs,
                            p + "attn_ctx": ctx, p + "attn_out": attn, p + "resid_attn": x_attn})
            x = self._mlp(x_attn, i, rec)
        logits = self._head(x, rec)
        return (logits, rec) if record else logits


def greedy(logits: np.ndarray) -> int:
    """The argmax token id, ties broken toward the lowest index."""
    return int(np.argmax(logits))


class FloatEngine:
    """Generation engine over :class:`FloatGPT2`: ``step`` returns the greedy next token id."""

    name = "float"

    def __init__(self, config: GPT2Config, weights: dict[str, np.ndarray],
                 dtype: type = np.float32) -> None:
        self.model = FloatGPT2(config, weights, dtype=dtype)
        self.config = config

    def reset(self) -> None:
        self.model.reset()

    def step(self, token: int, pos: int) -> int:
        return greedy(self.model.step(token, pos))
