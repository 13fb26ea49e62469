"""Calibration and quantisation: float GPT-2 weights -> the integer model's parameters.

This is the only place where floating point meets the integer model: scales are measured on a float
calibration pass and turned into integers (int8 weights, int32 biases, dyadic multipliers (m, s),
LayerNorm gamma/beta words). Everything downstream (`int_model.py`, the compiler, the RTL) is integer.
The rules are in docs/numerics.md ("Quantisation").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import intops as io
from .config import GPT2Config
from .qmodel import QLayer, QLayerNorm, QLinear, QModel

__all__ = ["QLayer", "QLayerNorm", "QLinear", "QModel", "QuantizationError", "dyadic", "quantize"]

RES_TARGET = 1 << 21  # calibrated residual max maps here: 4x headroom below the int24 limit
LOGIT_TARGET = 1 << 21


# SmoothQuant migration strength used unless told otherwise (docs/numerics.md, "Quantisation"): the
# activation outliers of GPT-2's LayerNorm outputs make per-tensor int8 lose 3-4x more accuracy without it.
DEFAULT_SMOOTH_ALPHA = 0.5


class QuantizationError(ValueError):
    """A model that cannot be represented with the integer formats (a scale out of range)."""


# --------------------------------------------------------------------------------------------------
# Float -> integer helpers
# --------------------------------------------------------------------------------------------------
def dyadic(real) -> tuple[np.ndarray, np.ndarray]:
    """(m, s) with m * 2**-s ~ real, m < 2**15, s <= 63, largest s that keeps m in range."""
    real = np.atleast_1d(np.asarray(real, dtype=np.float64))
    if np.any(~np.isfinite(real)) or np.any(real < 0):
        raise QuantizationError("requantisation scale must be finite and non-negative")
    m = np.zeros(real.shape, dtype=np.int64)
    s = np.zeros(real.shape, dtype=np.int64)
    for i, r in enumerate(real):
        if r == 0.0:
            continue
        if round(r) > io.M_MAX:
            raise QuantizationError(f"requantisation scale {r:.4g} exceeds the 15-bit multiplier with shift 0")
        sh = int(np.floor(np.log2(io.M_MAX / r)))
        sh = min(max(sh, 0), io.S_MAX)
        while sh > 0 and round(r * 2.0**sh) > io.M_MAX:
            sh -= 1
        m[i] = round(r * 2.0**sh)
        s[i] = sh
    return m, s


def quantize_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-row int8: returns (w_q int8 [rows, cols], scale float64 [rows])."""
    amax = np.abs(w).max(axis=1).astype(np.float64)
    scale = np.where(amax > 0, amax / 127.0, 1.0)
    w_q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return w_q, scale


def _linear(w_t: np.ndarray, bias: np.ndarray, s_x: float, out_real, mode: int) -> QLinear:
    """w_t float [rows, d_in]; out_real(row_scales) -> per-row real requantisation multipliers."""
    w_q, s_w = quantize_rows(w_t)
    b = np.rint(bias.astype(np.float64) / (s_x * s_w))
    b = np.clip(b, -io.BIAS_LIMIT, io.BIAS_LIMIT).astype(np.int64)
    m, s = dyadic(out_real(s_x * s_w))
    return QLinear(w_q, b, m, s, mode)


def _layernorm(gamma: np.ndarray, beta: np.ndarray, s_out: float) -> QLayerNorm:
    """y = rshift_round(n * g + b, s) with n = normalised value in Q.16 (docs/numerics.md)."""
    gq = gamma.astype(np.float64) / s_out
    bq = beta.astype(np.float64) / s_out
    gmax = max(float(np.abs(gq).max()), 1e-30)
    s = io.LN_F + int(np.floor(np.log2(((1 << (io.LN_G_BITS - 1)) - 1) / gmax)))
    s = min(s, 62)
    bmax = float(np.abs(bq).max())
    while s > 0 and bmax * 2.0**s >= 2.0 ** (io.LN_B_BITS - 1):
        s -= 1
    if s < io.LN_F - 8:
        raise QuantizationError("LayerNorm gamma too large for the 16-bit gamma multiplier")
    g = np.rint(gq * 2.0 ** (s - io.LN_F)).astype(np.int64)
    b = np.rint(bq * 2.0**s).astype(np.int64)
    return QLayerNorm(g, b, s)


# --------------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------------
CALIB_TEXT = (
    "The quick brown fox jumps over the lazy dog. In the beginning the universe was created; this has made "
    "a lot of people very angry and been widely regarded as a bad move. It was the best of times, it was the "
    "worst of times. Call me Ishmael. Some years ago, never mind how long precisely, having little money in my "
    "purse, I thought I would sail about a little and see the watery part of the world."
)


def default_calibration_ids(config: GPT2Config, length: int | None = None, seed: int = 1234) -> list[int]:
    """A deterministic calibration sequence: English text (GPT-2 BPE) then random ids, within the vocab."""
    from .tokenizer import encode

    length = min(length or config.n_positions, config.n_positions)
    ids = [t % config.vocab_size for t in encode(CALIB_TEXT)]
    rng = np.random.default_rng(seed)
    while len(ids) < length:
        ids.append(int(rng.integers(0, config.vocab_size)))
    return ids[:length]


@dataclass
class CalibStats:
    """Max-abs statistics gathered over a float calibration pass."""

    res: float = 0.0
    logits: float = 0.0
    lnf: float = 0.0
    ln1: list = field(default_factory=list)  # per-channel max [d] per layer
    ln2: list = field(default_factory=list)
    q: list = field(default_factory=list)
    k: list = field(default_factory=list)
    v: list = field(default_factory=list)
    ctx: list = field(default_factory=list)
    gelu: list = field(default_factory=list)


def calibrate(config: GPT2Config, weights: dict, calib_ids: list[int]) -> CalibStats:
    from .float_model import FloatGPT2

    model = FloatGPT2(config, weights, dtype=np.float64)  # float64: scales independent of BLAS order
    d, L = config.n_embd, config.n_layer
    st = CalibStats(
        ln1=[np.zeros(d) for _ in range(L)],
        ln2=[np.zeros(d) for _ in range(L)],
        q=[0.0] * L,
        k=[0.0] * L,
        v=[0.0] * L,
        ctx=[0.0] * L,
        gelu=[0.0] * L,
    )
    model.reset()
    for pos, tok in enumerate(calib_ids):
        _, rec = model.step(tok, pos, record=True)
        amax = lambda a: float(np.abs(a).max())  # noqa: E731
        st.res = max(st.res, amax(rec["embed"]))
        for i in range(L):
            p = f"h.{i}."
            st.ln1[i] = np.maximum(st.ln1[i], np.abs(rec[p + "ln_1"]))
            st.ln2[i] = np.maximum(st.ln2[i], np.abs(rec[p + "ln_2"]))
            st.q[i] = max(st.q[i], amax(rec[p + "q"]))
            st.k[i] = max(st.k[i], amax(rec[p + "k"]))
            st.v[i] = max(st.v[i], amax(rec[p + "v"]))
            st.ctx[i] = max(st.ctx[i], amax(rec[p + "attn_ctx"]))
            st.gelu[i] = max(st.gelu[i], amax(rec[p + "gelu"]))
            st.res = max(st.res, amax(rec[p + "resid_attn"]), amax(rec[p + "resid_mlp"]))
        st.lnf = max(st.lnf, amax(rec["ln_f"]))
        st.logits = max(st.logits, amax(rec["logits"]))
    return st


# --------------------------------------------------------------------------------------------------
# Quantisation
# --------------------------------------------------------------------------------------------------
def _smooth(act_max: np.ndarray, w_t: np.ndarray, alpha: float) -> np.ndarray:
    """SmoothQuant factors per input channel: s_k = a_k**alpha / w_k**(1-alpha)."""
    w_max = np.abs(w_t).max(axis=0).astype(np.float64)
    a = np.maximum(act_max, 1e-5)
    w = np.maximum(w_max, 1e-5)
    return np.clip(a**alpha / w ** (1.0 - alpha), 1e-5, 1e5)


def quantize(
    config: GPT2Config,
    weights: dict,
    calib_ids: list[int] | None = None,
    smooth_alpha: float | None = DEFAULT_SMOOTH_ALPHA,
) -> QModel:
    """Calibrate on `calib_ids` (default: `default_calibration_ids`) and build the integer model.

    smooth_alpha: None disables SmoothQuant; a value in (0, 1) (default 0.5) folds per-channel smoothing factors into
    ln_1/ln_2 (gamma, beta divided) and into the rows of c_attn/c_fc (columns multiplied).
    """
    config.validate()
    if calib_ids is None:
        calib_ids = default_calibration_ids(config)
    st = calibrate(config, weights, calib_ids)
    d, dh = config.n_embd, config.d_head
    if st.res <= 0:
        raise QuantizationError("calibration saw an all-zero residual stream")
    s_res = st.res / RES_TARGET
    s_logit = max(st.logits, 1e-30) / LOGIT_TARGET
    s_gelu_in = 2.0**-io.GELU_IN_FRAC
    scales = {"res": s_res, "logit": s_logit}

    layers = []
    for i in range(config.n_layer):
        p = f"h.{i}."
        g1, b1 = weights[p + "ln_1.weight"], weights[p + "ln_1.bias"]
        g2, b2 = weights[p + "ln_2.weight"], weights[p + "ln_2.bias"]
        w_attn = weights[p + "attn.c_attn.weight"].T.astype(np.float64)  # [3d, d]
        w_fc = weights[p + "mlp.c_fc.weight"].T.astype(np.float64)  # [dff, d]
        a1, a2 = st.ln1[i], st.ln2[i]
        if smooth_alpha is not None:
            f1 = _smooth(a1, w_attn, smooth_alpha)
            f2 = _smooth(a2, w_fc, smooth_alpha)
            g1, b1, a1, w_attn = g1 / f1, b1 / f1, a1 / f1, w_attn * f1[None, :]
            g2, b2, a2, w_fc = g2 / f2, b2 / f2, a2 / f2, w_fc * f2[None, :]
        s_ln1 = max(float(a1.max()), 1e-30) / 127
        s_ln2 = max(float(a2.max()), 1e-30) / 127
        s_q, s_k, s_v = (max(x, 1e-30) / 127 for x in (st.q[i], st.k[i], st.v[i]))
        s_ctx = max(st.ctx[i], 1e-30) / 127
        s_gelu = max(st.gelu[i], 1e-30) / 127
        out_scale = np.concatenate([np.full(d, s_q), np.full(d, s_k), np.full(d, s_v)])
        qkv = _linear(w_attn, weights[p + "attn.c_attn.bias"], s_ln1, lambda r: r / out_scale, io.MODE_INT8)
        proj = _linear(
            weights[p + "attn.c_proj.weight"].T, weights[p + "attn.c_proj.bias"], s_ctx, lambda r: r / s_res, io.MODE_WIDE
        )
        fc1 = _linear(w_fc, weights[p + "mlp.c_fc.bias"], s_ln2, lambda r: r / s_gelu_in, io.MODE_GELU)
        gm, gs = dyadic(s_gelu_in / s_gelu)
        fc1.gelu_m, fc1.gelu_s = int(gm[0]), int(gs[0])
        fc2 = _linear(
            weights[p + "mlp.c_proj.weight"].T, weights[p + "mlp.c_proj.bias"], s_gelu, lambda r: r / s_res, io.MODE_WIDE
        )
        sm_m, sm_s = dyadic(s_q * s_k / np.sqrt(dh) * np.log2(np.e) * 2**io.EXP_FRAC)
        ctx_m, ctx_s = dyadic(s_v / (s_ctx * 2**io.PROB_BITS))
        layers.append(
            QLayer(
                ln1=_layernorm(g1, b1, s_ln1),
                qkv=qkv,
                sm_m=int(sm_m[0]),
                sm_s=int(sm_s[0]),
                ctx_m=int(ctx_m[0]),
                ctx_s=int(ctx_s[0]),
                proj=proj,
                ln2=_layernorm(g2, b2, s_ln2),
                fc1=fc1,
                fc2=fc2,
            )
        )
        scales[p + "ln1"], scales[p + "ln2"], scales[p + "ctx"], scales[p + "gelu"] = s_ln1, s_ln2, s_ctx, s_gelu
        scales[p + "q"], scales[p + "k"], scales[p + "v"] = s_q, s_k, s_v

    wte_q, s_wte = quantize_rows(weights["wte.weight"].astype(np.float64))
    wpe_q, s_wpe = quantize_rows(weights["wpe.weight"].astype(np.float64))
    wte_m, wte_s = dyadic(s_wte / s_res)
    wpe_m, wpe_s = dyadic(s_wpe / s_res)
    s_lnf = max(st.lnf, 1e-30) / 127
    head_m, head_s = dyadic(s_lnf * s_wte / s_logit)
    head = QLinear(wte_q, np.zeros(config.vocab_size, dtype=np.int64), head_m, head_s, io.MODE_WIDE)
    scales["ln_f"] = s_lnf
    return QModel(
        config=config,
        layers=layers,
        wte=wte_q,
        wte_m=wte_m,
        wte_s=wte_s,
        wpe=wpe_q,
        wpe_m=wpe_m,
        wpe_s=wpe_s,
        ln_f=_layernorm(weights["ln_f.weight"], weights["ln_f.bias"], s_lnf),
        head=head,
        scales=scales,
    )
