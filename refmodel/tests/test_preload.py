"""KV-cache preload (refmodel.preload): after the same random cache rows 0..P-1 are put into the integer
reference, the tensor-parallel model and the compiled memory images, all three produce the same tokens
from position P on, and the images hold the rows where refmodel.kv_layout puts them."""

import numpy as np
import pytest

from refmodel.checkpoint import random_weights
from refmodel.compiler import HwConfig, compile_model
from refmodel.config import get_config
from refmodel.int_model import IntGPT2
from refmodel.iss import SystemIss
from refmodel.parallel import ParallelIntGPT2
from refmodel.preload import preload_image, random_kv
from refmodel.quantize import quantize

HW = HwConfig(max_ctx=64, max_heads=2)


@pytest.fixture(scope="module")
def tiny():
    cfg = get_config("tiny-v512")
    return quantize(cfg, random_weights(cfg, 0))


def test_random_kv_deterministic(tiny):
    cfg = tiny.config
    k, v = random_kv(cfg, 20, seed=3)
    assert k.shape == v.shape == (cfg.n_layer, cfg.n_head, 20, cfg.d_head) and k.dtype == np.int8
    k2, v2 = random_kv(cfg, 20, seed=3)
    assert np.array_equal(k, k2) and np.array_equal(v, v2)
    assert not np.array_equal(k, v) and not np.array_equal(k, random_kv(cfg, 20, seed=4)[0])
    assert k.min() < -100 and k.max() > 100  # the whole int8 range is used
    with pytest.raises(ValueError):
        random_kv(cfg, cfg.n_positions + 1)


@pytest.mark.parametrize("nodes", [1, 2, 4])
def test_preload_iss_and_parallel_match_reference(tiny, nodes):
    """Positions 37..41 after a preload of rows 0..36 (row 36 not a multiple of the 8 ports, so every
    port's run of rows ends at a different length): ISS, tensor-parallel model and IntGPT2 agree, and
    the preloaded rows change the result (a run without the preload differs)."""
    cfg, start = tiny.config, 37
    k, v = random_kv(cfg, start, seed=nodes)
    img = compile_model(tiny, nodes, HW)
    preload_image(img, k, v)
    iss, ref, par = SystemIss(img), IntGPT2(tiny), ParallelIntGPT2(tiny, nodes)
    ref.preload_kv(k, v)
    par.preload_kv(k, v)
    cold = IntGPT2(tiny)  # same positions, empty cache
    cold.next_pos = start
    rng = np.random.default_rng(nodes)
    outs, cold_outs = [], []
    for pos in range(start, start + 5):
        tok = int(rng.integers(0, cfg.vocab_size))
        a, b, c = iss.step(tok, pos), ref.step(tok, pos), par.step(tok, pos)
        assert a == b == c, (pos, a, b, c)
        outs.append(b)
        cold_outs.append(cold.step(tok, pos))
    assert outs != cold_outs, "the preloaded cache had no effect on the tokens"


def test_preload_image_layout(tiny):
    """Every preloaded row sits at kv_layout's address of its node-local head (read back with
    KvLayout.unpack on 2 nodes); the rest of the cache region stays zero."""
    cfg, start = tiny.config, 29
    k, v = random_kv(cfg, start, seed=9)
    img = compile_model(tiny, 2, HW)
    before = [[bytes(c) for c in n.channels] for n in img.nodes]
    preload_image(img, k, v)
    for node, old in zip(img.nodes, before):
        h0, h1 = node.heads
        for li, base in enumerate(node.kv_base):
            kk, vv = node.kv.unpack([bytes(c) for c in node.channels], start, base)
            assert np.array_equal(kk, k[li, h0:h1]) and np.array_equal(vv, v[li, h0:h1])
            kk, vv = node.kv.unpack([bytes(c) for c in node.channels], cfg.n_positions, base)
            assert not kk[:, start:].any() and not vv[:, start:].any()
        # outside the cache region nothing changed
        lo = node.kv_base[0]
        hi = node.kv_base[-1] + node.kv.layer_bytes
        for c, o in zip(node.channels, old):
            assert bytes(c[:lo]) == o[:lo] and bytes(c[hi:]) == o[hi:]


def test_preload_checks_shapes(tiny):
    ref = IntGPT2(tiny)
    k, v = random_kv(tiny.config, 4)
    with pytest.raises(ValueError):
        ref.preload_kv(k[:, :1], v[:, :1])
    with pytest.raises(TypeError):
        ref.preload_kv(k.astype(np.int16), v)
    ref.preload_kv(k, v)
    with pytest.raises(ValueError):
        ref.step(1, 0)  # the next step is at position 4
