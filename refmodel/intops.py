"""Integer operations of the accelerator: the bit-level specification.

Every function here is the exact definition the RTL reproduces (zero LSB tolerance). `docs/numerics.md`
states the same rules in prose with the width of every intermediate; a change here is a change of the
hardware contract and must be made in both places.

Only integer numpy dtypes and Python ints are used. The one rounding rule of the project is
`rshift_round`: add half, then arithmetic shift right (round half toward +infinity). The RTL's
requantisers implement exactly this (an adder of the constant 1 << (s-1) in front of an arithmetic
right shift), which is why it was chosen over round-half-to-even.
"""

from __future__ import annotations

import math

import numpy as np

# --------------------------------------------------------------------------------------------------
# Widths and constants (mirrored in rtl/common/ll_pkg.sv)
# --------------------------------------------------------------------------------------------------
INT8_MIN, INT8_MAX = -128, 127
RES_BITS = 24  # residual stream / wide MP output: signed 24-bit, held in 32-bit containers
RES_MIN, RES_MAX = -(1 << (RES_BITS - 1)), (1 << (RES_BITS - 1)) - 1
ACC_BITS = 32  # matrix accumulator
M_BITS = 15  # requantisation multiplier: 0 <= M < 2**15 (unsigned)
M_MAX = (1 << M_BITS) - 1
S_BITS = 6  # requantisation shift: 0 <= S <= 63
S_MAX = (1 << S_BITS) - 1
BIAS_LIMIT = 1 << 30  # |bias| <= 2**30, so bias + 4096 * 128 * 128 stays inside int32

GELU_IN_FRAC = 10  # GELU input/output fixed point: Q(RES_BITS-10).10
GELU_C = 2562  # round(1.769 * sqrt(2) * 2**10): |x| where I-BERT's erf polynomial reaches 1
GELU_A = 4732  # round(0.2888 / 2 * 2**15): erf polynomial coefficient a/2, 15 fraction bits
GELU_ERF_FRAC = 20  # erf value fixed point: 2**20 == 1.0

EXP_FRAC = 8  # softmax exponent: base-2 logarithm with 8 fraction bits
EXP_ONE_BITS = 16  # exp values: 2**16 == 1.0
SOFTMAX_INV_BITS = 46  # inv = floor(2**46 / sum)
PROB_BITS = 15  # probabilities: UQ1.15, 2**15 == 1.0

LN_K = 48  # LayerNorm reciprocal: inv = floor(2**48 / std_d)
LN_F = 16  # normalised value fixed point: Q.16
LN_G_BITS = 16  # gamma multiplier: signed 16-bit
LN_B_BITS = 48  # beta addend: signed 48-bit

I64 = np.int64


def _exp2_frac_lut() -> np.ndarray:
    """EXP_LUT[r] = floor(2**16 * 2**(-r/256)) for r in 0..255, computed with exact integer roots.

    y = floor(2**((16*256 - r) / 256)) is the largest integer with y**256 <= 2**(16*256 - r).
    """
    lut = []
    for r in range(1 << EXP_FRAC):
        target = 1 << (EXP_ONE_BITS * (1 << EXP_FRAC) - r)
        lo, hi = 0, 1 << (EXP_ONE_BITS + 1)
        while hi - lo > 1:  # invariant: lo**256 <= target < hi**256
            mid = (lo + hi) // 2
            if mid ** (1 << EXP_FRAC) <= target:
                lo = mid
            else:
                hi = mid
        lut.append(lo)
    return np.array(lut, dtype=I64)


EXP_LUT = _exp2_frac_lut()  # EXP_LUT[0] == 65536


# --------------------------------------------------------------------------------------------------
# Saturation and rounding
# --------------------------------------------------------------------------------------------------
def sat(x, bits: int):
    """Saturate to the signed range of `bits` bits."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if isinstance(x, (int, np.integer)):
        return int(min(max(int(x), lo), hi))
    return np.clip(x, lo, hi)


def sat8(x):
    return sat(x, 8)


def sat_res(x):
    return sat(x, RES_BITS)


def rshift_round(x, s):
    """Round half toward +infinity: (x + 2**(s-1)) >> s for s >= 1, x for s == 0 (arithmetic shift).

    `x` is an int64 array or int; `s` a non-negative int or an int array broadcastable with x.
    """
    if isinstance(x, (int, np.integer)) and isinstance(s, (int, np.integer)):
        x, s = int(x), int(s)
        return x if s == 0 else (x + (1 << (s - 1))) >> s
    x = np.asarray(x, dtype=I64)
    s = np.asarray(s, dtype=I64)
    if np.any(s < 0) or np.any(s > S_MAX):
        raise ValueError("shift out of range 0..63")
    half = np.where(s > 0, np.left_shift(I64(1), np.maximum(s - 1, 0)), 0)
    return np.right_shift(x + half, s)


def requant(acc, m, s, bits: int = 8):
    """Dyadic requantisation: sat_bits(rshift_round(acc * m, s)); m in [0, 2**15), s in [0, 63]."""
    m = np.asarray(m, dtype=I64)
    if np.any(m < 0) or np.any(m > M_MAX):
        raise ValueError("requantisation multiplier out of range 0..2**15-1")
    return sat(rshift_round(np.asarray(acc, dtype=I64) * m, s), bits)


def as_int8(x) -> np.ndarray:
    """An integer array whose values are int8 values, as int8 (refuses anything out of range)."""
    x = np.asarray(x)
    if x.dtype.kind not in "iu":
        raise TypeError("integer array expected")
    if x.size and (x.min() < INT8_MIN or x.max() > INT8_MAX):
        raise ValueError("value outside int8")
    return x.astype(np.int8)


# --------------------------------------------------------------------------------------------------
# Matrix processing (MP kernel)
# --------------------------------------------------------------------------------------------------
MODE_INT8, MODE_WIDE, MODE_GELU = 0, 1, 2


def matvec_acc(w: np.ndarray, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """acc[j] = sum_k w[j, k] * x[k] + bias[j]; w int8 [rows, d_in], x int8 [d_in], bias int32.

    Cannot overflow int32 for d_in <= 4096 and |bias| <= 2**30 (docs/numerics.md); checked here too.
    """
    if w.dtype != np.int8:
        raise TypeError("matvec_acc takes int8 weights")
    x = as_int8(x)
    if w.shape[1] > 4096:
        raise ValueError("d_in above 4096 is outside the accumulator proof")
    acc = np.einsum("jk,k->j", w, x, dtype=np.int32).astype(I64) + bias.astype(I64)
    assert np.all(np.abs(acc) < (1 << 31)), "int32 accumulator overflow"
    return acc


def gelu_q10(h):
    """Integer GELU on Q.10 inputs (I-BERT second-order erf polynomial), Q.10 output.

    erf(x/sqrt2) ~ sign(x) * (1 - 0.1444 * (min(|x|, 2.5017) - 2.5017)**2), in 2**-20 units;
    gelu = rshift_round(x * (2**20 + erf), 21).
    """
    h = np.asarray(h, dtype=I64)
    t = np.minimum(np.abs(h), GELU_C)
    dq = t - GELU_C  # -2562..0
    erf_mag = (1 << GELU_ERF_FRAC) - rshift_round(dq * dq * GELU_A, 15)
    erf = np.sign(h) * erf_mag
    return rshift_round(h * ((1 << GELU_ERF_FRAC) + erf), GELU_ERF_FRAC + 1)


def mp_epilogue(acc, mode: int, m, s, gelu_m: int = 0, gelu_s: int = 0) -> np.ndarray:
    """The fused epilogue of the MP kernel: per-row (m, s) requantisation, then the output mode."""
    if mode == MODE_INT8:
        return requant(acc, m, s, 8)
    if mode == MODE_WIDE:
        return requant(acc, m, s, RES_BITS)
    if mode == MODE_GELU:
        h = requant(acc, m, s, RES_BITS)
        return requant(gelu_q10(h), gelu_m, gelu_s, 8)
    raise ValueError(f"unknown MP mode {mode}")


# --------------------------------------------------------------------------------------------------
# Attention (MHA kernel)
# --------------------------------------------------------------------------------------------------
def scores(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """score[t] = sum_c q[c] * k[t, c]; q int8 [dh], k int8 [T, dh] -> int64 [T] (fits int32)."""
    return np.einsum("tc,c->t", as_int8(k), as_int8(q), dtype=np.int32).astype(I64)


def exp2_neg(v):
    """e = 2**(v / 2**8) in 2**-16 units for v <= 0: EXP_LUT[(-v) & 255] >> ((-v) >> 8)."""
    n = -np.asarray(v, dtype=I64)
    if np.any(n < 0):
        raise ValueError("exp2_neg takes non-positive exponents")
    q = np.minimum(n >> EXP_FRAC, 31)
    return EXP_LUT[n & ((1 << EXP_FRAC) - 1)] >> q


def softmax_int(sc, m: int, s: int) -> np.ndarray:
    """Integer softmax of int scores; (m, s) converts score differences to base-2 exponents (Q.8).

    v = rshift_round((sc - max) * m, s) <= 0; e = exp2_neg(v); sum = sum(e) in [2**16, 2**26];
    inv = floor(2**46 / sum); p = (e * inv + 2**30) >> 31 in [0, 2**15] (UQ1.15).
    """
    sc = np.asarray(sc, dtype=I64)
    v = rshift_round((sc - sc.max()) * I64(m), s)
    e = exp2_neg(v)
    total = int(e.sum())
    inv = (1 << SOFTMAX_INV_BITS) // total
    return (e * I64(inv) + (1 << 30)) >> 31


def attend(p: np.ndarray, v: np.ndarray, m: int, s: int) -> np.ndarray:
    """ctx[c] = sat8(rshift_round(sum_t p[t] * v[t, c] * m, s)); p UQ1.15 [T], v int8 [T, dh]."""
    acc = np.einsum("t,tc->c", p.astype(I64), v.astype(I64))
    return requant(acc, m, s, 8)


def attention_head(q, k, v, sm_m: int, sm_s: int, out_m: int, out_s: int) -> np.ndarray:
    """One head for one query: scores, integer softmax, P.V, requantisation to int8."""
    return attend(softmax_int(scores(q, k), sm_m, sm_s), v, out_m, out_s)


# --------------------------------------------------------------------------------------------------
# LayerNorm and residual (LNR kernel)
# --------------------------------------------------------------------------------------------------
def isqrt(n: int) -> int:
    """floor(sqrt(n)) for n >= 0 (the RTL uses a bit-serial restoring square root)."""
    return math.isqrt(int(n))


def residual_add(res, delta):
    return sat_res(np.asarray(res, dtype=I64) + np.asarray(delta, dtype=I64))


def layernorm_stats(x) -> tuple[int, int]:
    """(std_d, inv) of a residual vector: std_d = isqrt(d*S2 - S1**2), inv = floor(2**48 / std_d) or 0."""
    x = np.asarray(x, dtype=I64)
    d = x.shape[0]
    s1 = int(x.sum())
    s2 = int((x * x).sum())
    var_num = d * s2 - s1 * s1  # == d**2 * variance, exact, < 2**71
    std_d = isqrt(var_num)
    inv = 0 if std_d == 0 else (1 << LN_K) // std_d
    return s1, inv


def layernorm_int(x, g, b, s: int) -> np.ndarray:
    """Integer LayerNorm of a residual vector x (int24 values) to int8.

    c = d*x - S1; n = sat24(rshift_round(c * inv, 48 - 16)) (Q.16 normalised value);
    y = sat8(rshift_round(n * g + b, s)) with per-channel g (int16) and b (int48).
    """
    x = np.asarray(x, dtype=I64)
    d = x.shape[0]
    s1, inv = layernorm_stats(x)
    c = I64(d) * x - I64(s1)
    n = sat_res(rshift_round(c * I64(inv), LN_K - LN_F))
    return sat8(rshift_round(n * np.asarray(g, dtype=I64) + np.asarray(b, dtype=I64), s))


# --------------------------------------------------------------------------------------------------
# Embedding and argmax
# --------------------------------------------------------------------------------------------------
def embed(wte_row, wte_m: int, wte_s: int, wpe_row, wpe_m: int, wpe_s: int) -> np.ndarray:
    """res = sat24(rshift_round(wte_row * m_t, s_t) + rshift_round(wpe_row * m_p, s_p))."""
    a = rshift_round(np.asarray(wte_row, dtype=I64) * I64(wte_m), wte_s)
    p = rshift_round(np.asarray(wpe_row, dtype=I64) * I64(wpe_m), wpe_s)
    return sat_res(a + p)


def argmax_int(x) -> tuple[int, int]:
    """(value, index) of the maximum; ties go to the lowest index."""
    x = np.asarray(x)
    i = int(np.argmax(x))  # numpy returns the first occurrence
    return int(x[i]), i


def argmax_reduce(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Combine two (value, index) pairs: larger value wins, a tie goes to the lower index."""
    if a[0] != b[0]:
        return a if a[0] > b[0] else b
    return a if a[1] <= b[1] else b
