"""The integer primitives: rounding, saturation, and each nonlinearity against its float counterpart."""

import math

import numpy as np
import pytest

from refmodel import intops as io


def test_rshift_round_is_round_half_up():
    x = np.arange(-64, 65, dtype=np.int64)
    for s in range(0, 6):
        got = io.rshift_round(x, s)
        want = np.array([math.floor(v / 2**s + 0.5) for v in x])
        assert np.array_equal(got, want)
    assert io.rshift_round(-3, 1) == -1 and io.rshift_round(3, 1) == 2  # ties toward +infinity
    assert io.rshift_round(5, 0) == 5


def test_requant_saturates_and_checks_ranges():
    acc = np.array([2**31 - 1, -(2**31), 0, 255, -256], dtype=np.int64)
    assert list(io.requant(acc, 1, 1, 8)) == [127, -128, 0, 127, -128]
    assert list(io.requant(acc, 32767, 63, 8)) == [0, 0, 0, 0, 0]
    assert io.requant(np.array([2**40]), 1, 0, 24)[0] == 2**23 - 1
    with pytest.raises(ValueError):
        io.requant(acc, 1 << 15, 0)
    with pytest.raises(ValueError):
        io.rshift_round(acc, np.array(64))


def test_accumulator_bound_worst_case():
    w = np.full((2, 4096), -128, dtype=np.int8)
    x = np.full(4096, -128, dtype=np.int8)
    acc = io.matvec_acc(w, x, np.array([io.BIAS_LIMIT, -io.BIAS_LIMIT]))
    assert acc[0] == 4096 * 2**14 + 2**30 < 2**31
    with pytest.raises(ValueError):
        io.matvec_acc(np.zeros((1, 4097), np.int8), np.zeros(4097, np.int8), np.zeros(1, np.int64))
    with pytest.raises(ValueError):
        io.matvec_acc(w, np.full(4096, 128), np.zeros(2, np.int64))


def _gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def test_gelu_over_whole_q10_range():
    h = np.arange(io.RES_MIN, io.RES_MAX + 1, 37, dtype=np.int64)
    g = io.gelu_q10(h)
    err = np.abs(g / 1024.0 - _gelu_new(h / 1024.0))
    assert err.max() < 0.019  # documented bound (docs/numerics.md)
    big = np.array([io.RES_MAX, 2563, 10_000])
    assert np.array_equal(io.gelu_q10(big), big)  # identity above the polynomial range
    assert np.array_equal(io.gelu_q10(-big), np.zeros(3))
    assert io.gelu_q10(np.array([0]))[0] == 0


def test_exp_lut_is_exact_integer_root():
    lut = io.EXP_LUT
    assert lut[0] == 65536 and len(lut) == 256 and np.all(np.diff(lut) < 0)
    for r in range(256):
        y = int(lut[r])
        assert y**256 <= 2 ** (4096 - r) < (y + 1) ** 256
    f = 65536 * 2.0 ** (-np.arange(256) / 256)
    assert np.all((f - lut >= 0) & (f - lut < 1))


def test_exp2_neg_over_whole_range():
    v = -np.arange(0, 40 * 256, dtype=np.int64)
    e = io.exp2_neg(v)
    ref = 65536 * 2.0 ** (v / 256.0)
    assert np.all(np.abs(e - ref) <= 1.0)
    assert e[-1] == 0
    with pytest.raises(ValueError):
        io.exp2_neg(np.array([1]))


def _softmax_float(sc, m, s):
    z = (sc - sc.max()) * (m / 2**s) / 256.0  # base-2 exponent
    e = 2.0**z
    return e / e.sum()


# Softmax error bound, derived: the exponent is rounded to Q.8 (half an LSB: a relative error of at most
# eps = 2**(1/512) - 1 = 1.355e-3 on every e), which moves a probability by at most about eps / 2; the
# LUT entry, the shift's truncation, the floor of the reciprocal and the final rounding add at most
# 3 * 2**-16 absolute. 7.5e-4 covers the sum (7.24e-4); the largest measured error over the sweep below
# is 3.9e-4.
SOFTMAX_BOUND = 7.5e-4


@pytest.mark.parametrize("seed", range(5))
def test_softmax_against_float(seed):
    rng = np.random.default_rng(seed)
    for t in (1, 2, 17, 256, 1024):
        sc = rng.integers(-(2**20), 2**20, t)
        m, s = int(rng.integers(1 << 10, 1 << 15)), int(rng.integers(10, 30))
        p = io.softmax_int(sc, m, s)
        ref = _softmax_float(sc.astype(np.float64), m, s)
        assert p.dtype.kind == "i" and p.min() >= 0 and p.max() <= 32768
        assert np.abs(p / 32768.0 - ref).max() < SOFTMAX_BOUND
        assert abs(int(p.sum()) - 32768) <= t


def test_softmax_over_whole_input_range():
    """Score spreads from 1 to 2**21 (the int32 scores of d_head <= 128) at offsets across the score
    range, the extreme exponent scales (m = 1 and 32767, s = 0 .. 63) and lengths 1 .. 1024: every
    probability within the derived bound of the float softmax of the same scaled scores."""
    rng = np.random.default_rng(11)
    worst = 0.0
    for e in range(22):
        for m, s in [(1, 0), (32767, 0), (32767, 20), (1 << 10, 10), (23456, 14), (32767, 63), (1, 63),
                     (300, 5)]:
            for t in (1, 2, 3, 17, 256, 1024):
                off = int(rng.integers(-(2**21 - 2**e), 2**21 - 2**e + 1)) if e < 21 else 0
                sc = rng.integers(-(2**e), 2**e + 1, t) + off
                p = io.softmax_int(sc, m, s)
                err = np.abs(p / 32768.0 - _softmax_float(sc.astype(np.float64), m, s)).max()
                worst = max(worst, float(err))
                assert err < SOFTMAX_BOUND, (e, m, s, t, err)
    assert worst > 1e-4  # the sweep reaches the regime where the exponent rounding shows


def test_softmax_corner_cases():
    assert list(io.softmax_int(np.array([12345]), 100, 5)) == [32768]
    eq = io.softmax_int(np.full(8, -7), 3000, 8)
    assert np.all(eq == eq[0]) and eq[0] == 4096
    first = io.softmax_int(np.array([100, 0, 0, 0]), 32767, 0)
    assert first[0] == 32768 and np.all(first[1:] == 0)
    last = io.softmax_int(np.array([-(2**21), 0, 0, 2**21]), 32767, 0)
    assert last[-1] == 32768


def test_layernorm_against_float():
    rng = np.random.default_rng(3)
    for d in (64, 128, 768, 1024, 4096):
        x = rng.integers(-(2**21), 2**21, d)
        gamma = rng.uniform(-2, 2, d)
        beta = rng.uniform(-1, 1, d)
        s_out = 4.0 / 127
        s = 16 + 10
        g = np.rint(gamma / s_out * 2.0 ** (s - 16)).astype(np.int64)
        b = np.rint(beta / s_out * 2.0**s).astype(np.int64)
        y = io.layernorm_int(x, g, b, s)
        xf = x.astype(np.float64)
        ref = (xf - xf.mean()) / xf.std() * gamma + beta
        ref = np.clip(np.rint(ref / s_out), -128, 127)
        assert np.abs(y - ref).max() <= 1


def test_layernorm_over_whole_input_range():
    """Residual vectors of every amplitude 2**0 .. 2**23 (int24), centred on 0 and next to both ends of
    the range, d = 64 .. 4096, output shifts 16, 26, 40 with gamma of both signs: every int8 output
    within 1 LSB of the float LayerNorm plus the error of the integer square root's floor, derived:
    a relative error below 1 / std_d (std_d = isqrt(d**2 var)) on the normalised value, i.e.
    |y_float - beta term| * 2 / std_d LSB. Wherever std_d >= 4096 that is the plain 1 LSB bound."""
    rng = np.random.default_rng(12)
    s_out = 4.0 / 127
    checked = 0
    for d in (64, 128, 768, 1024, 4096):
        for k in range(24):
            for off in (0, io.RES_MAX - 2**k, io.RES_MIN + 2**k):
                x = np.clip(rng.integers(-(2**k), 2**k + 1, d) + off, io.RES_MIN, io.RES_MAX)
                if np.all(x == x[0]):
                    continue
                for s in (16, 26, 40):
                    gamma, beta = rng.uniform(-2, 2, d), rng.uniform(-1, 1, d)
                    g = np.rint(gamma / s_out * 2.0 ** (s - 16)).astype(np.int64)
                    b = np.rint(beta / s_out * 2.0**s).astype(np.int64)
                    y = io.layernorm_int(x, g, b, s)
                    xf = x.astype(np.float64)
                    norm = (xf - xf.mean()) / xf.std() * (g / 2.0 ** (s - 16))  # in output LSBs
                    ref = np.clip(np.rint(norm + b / 2.0**s), -128, 127)
                    s1, s2 = int(x.sum()), int((x * x).sum())
                    std_d = io.isqrt(d * s2 - s1 * s1)
                    tol = 1 + np.abs(norm) * 2.0 / std_d
                    assert np.all(np.abs(y - ref) <= tol), (d, k, off, s)
                    if std_d >= 4096:
                        assert np.abs(y - ref).max() <= 1, (d, k, off, s)
                    checked += 1
    assert checked > 900


def test_layernorm_corner_cases():
    d = 256
    g = np.full(d, 1000, dtype=np.int64)
    b = np.arange(d, dtype=np.int64) * 64 - 8000
    const = io.layernorm_int(np.full(d, 12345), g, b, 6)
    assert np.array_equal(const, io.sat8(io.rshift_round(b, 6)))  # zero variance: the beta term
    ext = np.where(np.arange(d) % 2 == 0, io.RES_MAX, io.RES_MIN)
    y = io.layernorm_int(ext, np.full(d, 2**15 - 1), np.zeros(d, dtype=np.int64), 23)
    assert set(np.unique(y)) <= {-128, 127, -127, 126} and y[0] > 0 > y[1]
    s1, inv = io.layernorm_stats(ext)
    assert inv > 0


def test_isqrt_and_argmax():
    for n in list(range(0, 2000)) + [2**70 - 1, 2**71 - 5, 2**48]:
        r = io.isqrt(n)
        assert r * r <= n < (r + 1) ** 2
    assert io.argmax_int(np.array([3, 7, 7, 1])) == (7, 1)
    assert io.argmax_reduce((7, 5), (7, 2)) == (7, 2)
    assert io.argmax_reduce((8, 5), (7, 2)) == (8, 5)


def test_embed_and_residual_saturate():
    row = np.full(8, -128)
    res = io.embed(row, 32767, 0, row, 32767, 0)
    assert np.all(res == -128 * 32767 * 2)  # the largest embedding magnitude still fits int24
    assert io.embed(np.array([3]), 5, 1, np.array([-3]), 5, 1)[0] == 8 + -7  # each term rounds on its own
    assert io.residual_add(np.array([io.RES_MIN]), np.array([-5]))[0] == io.RES_MIN
