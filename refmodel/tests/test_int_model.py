"""The integer model: tensor-parallel bit-identity, accuracy against the float model, error handling."""

import numpy as np
import pytest

from refmodel.checkpoint import random_weights
from refmodel.config import get_config
from refmodel.float_model import FloatGPT2
from refmodel.int_model import IntGPT2, build_engine
from refmodel.parallel import ParallelIntGPT2
from refmodel.partition import PartitionError, split_range
from refmodel.quantize import QuantizationError, dyadic, quantize


@pytest.fixture(scope="module")
def tiny():
    cfg = get_config("tiny-v512")
    w = random_weights(cfg, 0)
    return cfg, w, quantize(cfg, w)


def _ids(cfg, n, seed=5):
    return [int(x) for x in np.random.default_rng(seed).integers(0, cfg.vocab_size, n)]


@pytest.mark.parametrize("nodes", [2, 3, 4, 8])
def test_parallel_is_bit_identical(tiny, nodes):
    cfg, _, qm = tiny
    ref, par = IntGPT2(qm), ParallelIntGPT2(qm, nodes)
    for pos, tok in enumerate(_ids(cfg, 12)):
        d1, d2 = {}, {}
        assert ref.step(tok, pos, dump=d1) == par.step(tok, pos, dump=d2)
        assert set(d2) <= set(d1)
        for k in d2:
            assert np.array_equal(d1[k], d2[k]), k


@pytest.mark.parametrize("nodes", [2, 3, 4, 8])
def test_parallel_several_heads_per_node(nodes):
    """8 heads (tiny-h8) and 12 heads of 32 (d = 384, GPT-2 small's head count): every node owns
    several heads (uneven for 3 nodes), every dumped vector equals the single-node model."""
    base = get_config("tiny-h8")
    h12 = type(base)(**{**base.__dict__, "n_embd": 384, "n_head": 12})
    for cfg in (base, h12):
        qm = quantize(cfg, random_weights(cfg, 4))
        ref, par = IntGPT2(qm), ParallelIntGPT2(qm, nodes)
        for pos, tok in enumerate(_ids(cfg, 5, 11)):
            d1, d2 = {}, {}
            assert ref.step(tok, pos, dump=d1) == par.step(tok, pos, dump=d2)
            assert d2 and set(d2) <= set(d1)
            for k in d2:
                assert np.array_equal(d1[k], d2[k]), (cfg.n_head, k)


def test_parallel_uneven_vocab_and_more_nodes_than_heads():
    cfg = get_config("tiny-v512")
    cfg = type(cfg)(**{**cfg.__dict__, "vocab_size": 500})
    qm = quantize(cfg, random_weights(cfg, 3))
    ref, par = IntGPT2(qm), ParallelIntGPT2(qm, 4)  # 2 heads over 4 nodes, 500 rows over 4 nodes
    for pos, tok in enumerate(_ids(cfg, 6, 9)):
        assert ref.step(tok, pos) == par.step(tok, pos)


def test_split_range():
    assert split_range(100, 4, 32) == [(0, 32), (32, 64), (64, 96), (96, 100)]
    assert split_range(50257, 1, 32) == [(0, 50257)]
    r = split_range(50257, 4, 32)
    assert r[0][0] == 0 and r[-1][1] == 50257 and all(a[1] == b[0] for a, b in zip(r, r[1:]))
    with pytest.raises(PartitionError):
        split_range(10, 0)
    with pytest.raises(PartitionError):
        split_range(10, 9)


@pytest.mark.parametrize("name", ["tiny-v512", "tiny", "tiny-deep"])
def test_accuracy_against_float(name):
    """Top-1 agreement >= 0.8 and mean relative logit error <= 0.12 over 40 random-token steps."""
    cfg = get_config(name)
    w = random_weights(cfg, 0)
    qm = quantize(cfg, w)
    im, fm = IntGPT2(qm), FloatGPT2(cfg, w)
    agree, errs = 0, []
    for pos, tok in enumerate(_ids(cfg, 40)):
        dump = {}
        nxt = im.step(tok, pos, dump=dump)
        lf = fm.step(tok, pos)
        agree += nxt == int(np.argmax(lf))
        li = dump["logits"] * qm.scales["logit"]
        errs.append(np.abs(li - lf).max() / np.abs(lf).max())
    assert agree / 40 >= 0.8
    assert np.mean(errs) <= 0.12


def test_step_errors(tiny):
    cfg, _, qm = tiny
    m = IntGPT2(qm)
    with pytest.raises(ValueError, match="vocabulary"):
        m.step(cfg.vocab_size, 0)
    with pytest.raises(ValueError, match="position"):
        m.step(1, 3)
    m.next_pos = cfg.n_positions
    with pytest.raises(ValueError, match="context"):
        m.step(1, cfg.n_positions)


def test_dyadic_range():
    m, s = dyadic([1.0, 0.5, 3e-9, 0.0, 1000.0])
    assert np.all(m < 2**15) and np.all(s <= 63)
    for r, mm, ss in zip([1.0, 0.5, 3e-9, 1000.0], m[[0, 1, 2, 4]], s[[0, 1, 2, 4]]):
        assert abs(mm * 2.0**-ss - r) / r < 2e-4
    with pytest.raises(QuantizationError):
        dyadic([1e6])


def test_engine_generates(tiny):
    cfg, w, _ = tiny
    e1, e2 = build_engine(cfg, w, nodes=1), build_engine(cfg, w, nodes=2)
    tok, out = 11, []
    for pos in range(6):
        a, b = e1.step(tok, pos), e2.step(tok, pos)
        assert a == b
        out.append(a)
        tok = a
    assert all(0 <= t < cfg.vocab_size for t in out)
