"""The MP packer (refmodel/mp_layout.py) and the MP cycle model (refmodel/cyclemodel/mp.py)."""

from __future__ import annotations

import numpy as np
import pytest

from refmodel import intops
from refmodel import mp_layout as lay
from refmodel.cyclemodel import mp as cm

CONFIGS = [(8, 32), (4, 16), (2, 8), (8, 64)]


def _rand(rng, rows, d_in):
    w = rng.integers(-128, 128, size=(rows, d_in), dtype=np.int8)
    bias = rng.integers(-(1 << 30), (1 << 30) + 1, size=rows).astype(np.int32)
    rq = lay.rq_word(rng.integers(0, 1 << 15, size=rows), rng.integers(0, 64, size=rows))
    return w, bias, rq


@pytest.mark.parametrize("num_pe,lanes", CONFIGS)
@pytest.mark.parametrize("rows,d_in", [(1, 1), (3, 7), (8, 32), (13, 100), (64, 256), (257, 33)])
def test_round_trip(num_pe, lanes, rows, d_in):
    rng = np.random.default_rng(rows * 1000 + d_in)
    w, bias, rq = _rand(rng, rows, d_in)
    images, desc = lay.pack_matrix(w, bias, rq, num_pe, lanes)
    assert len(images) == num_pe
    assert all(len(img) == desc.bytes_per_port for img in images)
    assert desc.beats_per_port == cm.beats_per_port(rows, d_in, num_pe, lanes)
    w2, b2, rq2 = lay.unpack_matrix(images, desc)
    assert np.array_equal(w2, w) and np.array_equal(b2, bias) and np.array_equal(rq2, rq)


def test_layout_bytes_by_hand():
    """Row j on port j % P, local row j // P; one parameter beat per lanes/8 rows; zero padding."""
    num_pe, lanes = 2, 16  # g = 2 rows per parameter beat
    rows, d_in = 5, 20  # din_beats = 2, rows_pp = 3, groups = 2
    w = (np.arange(rows * d_in).reshape(rows, d_in) % 100).astype(np.int8)
    bias = np.array([10, -20, 30, -40, 50], dtype=np.int32)
    rq = lay.rq_word([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    images, desc = lay.pack_matrix(w, bias, rq, num_pe, lanes)
    assert (desc.rows_pp, desc.din_beats, desc.groups, desc.beats_per_port) == (3, 2, 2, 8)
    port1 = np.frombuffer(images[1], dtype=np.uint8).reshape(-1, lanes)
    # beat 0: parameters of global rows 1 and 3
    assert int.from_bytes(port1[0, 0:4].tobytes(), "little", signed=True) == -20
    assert int.from_bytes(port1[0, 4:8].tobytes(), "little") == 2 | (7 << 16)
    assert int.from_bytes(port1[0, 8:12].tobytes(), "little", signed=True) == -40
    assert int.from_bytes(port1[0, 12:16].tobytes(), "little") == 4 | (9 << 16)
    # beats 1, 2: row 1 (first 16 weights, then 4 weights and 12 zeros)
    assert np.array_equal(port1[1].view(np.int8), w[1, :16])
    assert np.array_equal(port1[2, :4].view(np.int8), w[1, 16:20])
    assert not port1[2, 4:].any()
    # beats 3, 4: row 3; beat 5: parameter beat of the last (short) group: row 5 does not exist
    assert np.array_equal(port1[3].view(np.int8), w[3, :16])
    assert not port1[5].any() and not port1[6:8].any()
    port0 = np.frombuffer(images[0], dtype=np.uint8).reshape(-1, lanes)
    assert int.from_bytes(port0[5, 0:4].tobytes(), "little", signed=True) == 50
    assert np.array_equal(port0[6].view(np.int8), w[4, :16])


def test_activation_padding():
    x = np.arange(-5, 30, dtype=np.int8)
    buf = lay.pack_activation(x, 16)
    assert len(buf) == 48
    assert np.array_equal(np.frombuffer(buf, dtype=np.int8)[:35], x)
    assert not any(buf[35:])


def test_reference_matches_intops():
    rng = np.random.default_rng(5)
    w, bias, rq = _rand(rng, 20, 70)
    bias //= 4
    x = rng.integers(-128, 128, size=70, dtype=np.int8)
    m, s = lay.rq_split(rq)
    for mode in (intops.MODE_INT8, intops.MODE_WIDE, intops.MODE_GELU):
        acc = intops.matvec_acc(w, x, bias.astype(np.int64))
        exp = intops.mp_epilogue(acc, mode, m, s, 1234, 9)
        assert np.array_equal(lay.reference(w, x, bias, rq, mode, 1234, 9), exp)


@pytest.mark.parametrize("bad", [
    dict(w=np.zeros((0, 4), np.int8)), dict(w=np.zeros((2, 4097), np.int8)),
    dict(w=np.zeros((2, 4), np.int16)), dict(bias=np.array([1 << 30 + 1, 0])),
    dict(rq=np.array([1 << 31, 0], dtype=np.uint32)), dict(num_pe=3), dict(lanes=24),
    dict(lanes=4), dict(w=np.zeros((1 << 16, 1), np.int8)),
])
def test_packer_refuses(bad):
    args = dict(w=np.zeros((2, 4), np.int8), bias=np.zeros(2, np.int32),
                rq=np.zeros(2, np.uint32), num_pe=8, lanes=32)
    args.update(bad)
    n = args["w"].shape[0]
    if "bias" not in bad:
        args["bias"] = np.zeros(n, np.int32)
    if "rq" not in bad:
        args["rq"] = np.zeros(n, np.uint32)
    with pytest.raises((ValueError, TypeError)):
        lay.pack_matrix(args["w"], args["bias"], args["rq"], args["num_pe"], args["lanes"])


def test_rq_word_range():
    with pytest.raises(ValueError):
        lay.rq_word([1 << 15], [0])
    with pytest.raises(ValueError):
        lay.rq_word([0], [64])
    m, s = lay.rq_split(lay.rq_word([32767, 0], [63, 1]))
    assert list(m) == [32767, 0] and list(s) == [63, 1]


def test_cycle_model_bandwidth():
    """The model's prediction for the must-show shape: >= 0.95 of peak at NumPe=8, Lanes=32."""
    c = cm.cycles(4096, 1024, 8, 32, mem_latency=32, act_latency=1)
    assert c == 16512 + 32 + 1 + cm.FILL_BASE
    num, den = cm.bandwidth_fraction(4096, 1024, 8, 32, c)
    assert num * 100 >= 95 * den
    # parameter-beat overhead: one beat per lanes/8 rows
    assert cm.beats_per_port(4096, 1024, 8, 32) == 512 * 32 + 128
    assert cm.beats_per_port(50257, 1024, 8, 32) == 6283 * 32 + 1571
