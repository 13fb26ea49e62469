"""The compiler and the instruction-set simulator: compiled programs reproduce the integer reference."""

import dataclasses

import numpy as np
import pytest

from refmodel import isa
from refmodel.checkpoint import random_weights
from refmodel.compiler import CompileError, HwConfig, check_fit, compile_model, ln_word
from refmodel.config import get_config
from refmodel.int_model import IntGPT2
from refmodel.iss import IssError, SystemIss
from refmodel.quantize import QLayerNorm, quantize

HW = HwConfig(max_ctx=256, max_heads=2)


@pytest.fixture(scope="module")
def tiny():
    cfg = get_config("tiny-v512")
    return quantize(cfg, random_weights(cfg, 0))


@pytest.mark.parametrize("nodes", [1, 2, 4, 8])
def test_iss_matches_reference(tiny, nodes):
    iss, ref = SystemIss(compile_model(tiny, nodes, HW)), IntGPT2(tiny)
    tok = 7
    for pos in range(10):
        a, b = iss.step(tok, pos), ref.step(tok, pos)
        assert a == b, (pos, a, b)
        tok = int(np.random.default_rng(pos).integers(0, tiny.config.vocab_size)) if pos < 5 else a


def test_relocated_and_aliased_images(tiny):
    """HwConfig.mem_base / mem_alias: every address of the program is relocated (node 1 stays at 0), the
    allocations alternate between the two copies, and the ISS still reproduces the reference."""
    hw = dataclasses.replace(HW, mem_base=(0x5555_5000,), mem_alias=(0x2AAA_A000,))
    img, plain = compile_model(tiny, 2, hw), compile_model(tiny, 2, HW)
    n0, p0 = img.nodes[0], plain.nodes[0]
    # the same data at the same offsets (only the program's addresses differ)
    assert n0.channels[1:] == p0.channels[1:] and n0.channels[0][:p0.prog_base] == p0.channels[0][:p0.prog_base]
    assert img.nodes[1].channels == plain.nodes[1].channels
    assert img.nodes[1].program == plain.nodes[1].program
    bases = {a & ~0x0FFF_FFFF for a in (n0.prog_base, *n0.kv_base, *n0.symbols.values())}
    assert bases == {0x5000_0000, 0x2000_0000}
    assert n0.offset(n0.prog_base) == p0.prog_base and [n0.offset(a) for a in n0.kv_base] == p0.kv_base
    iss, ref = SystemIss(img), IntGPT2(tiny)
    for pos, tok in enumerate([11, 400, 7]):
        assert iss.step(tok, pos) == ref.step(tok, pos)
    with pytest.raises(CompileError, match="4 KiB"):
        HwConfig(mem_base=(0x1234,))


def test_iss_deep_model_crossing_blocks():
    cfg = get_config("tiny-deep")
    qm = quantize(cfg, random_weights(cfg, 1))
    iss, ref = SystemIss(compile_model(qm, 2, HW)), IntGPT2(qm)
    rng = np.random.default_rng(3)
    for pos in range(40):
        tok = int(rng.integers(0, cfg.vocab_size))
        assert iss.step(tok, pos) == ref.step(tok, pos)


def test_program_structure(tiny):
    img = compile_model(tiny, 2, HW)
    for node in img.nodes:
        prog = isa.disassemble_to_instrs(node.program_bytes())
        assert prog[-1].OP == isa.Op.END and prog[0].OP == isa.Op.EMBED
        for ins in prog:
            ins.validate()
        text = isa.disassemble(node.program_bytes())
        assert "MHA" in text and "ARGMAX" in text
        ch0 = node.channels[0]
        assert bytes(ch0[node.prog_base : node.prog_base + len(node.program_bytes())]) == node.program_bytes()
        assert all(len(c) <= HW.channel_bytes for c in node.channels)


def test_ln_word_layout():
    w = ln_word(QLayerNorm(np.array([-2, 3]), np.array([-(2**46), 5]), 10))
    assert int(w[0]) >> 48 == 0xFFFE and int(w[0]) & ((1 << 48) - 1) == (1 << 48) - 2**46
    assert int(w[1]) == (3 << 48) | 5
    with pytest.raises(CompileError):
        ln_word(QLayerNorm(np.array([1 << 15]), np.array([0]), 1))


def test_gpt2_medium_fits_default_hardware():
    for nodes in (1, 2, 4):
        ab, heads = check_fit(get_config("gpt2-medium"), HwConfig(), nodes)
        assert ab.total <= HwConfig().abuf_beats


@pytest.mark.parametrize(
    "change, hw, match",
    [
        (dict(n_embd=1600, n_head=25, n_inner=4096), HwConfig(max_heads=32), "activation buffer"),
        (dict(n_inner=6400), HwConfig(), "exceeds the MP/LNR limit"),
        (dict(n_positions=2048), HwConfig(), "KV cache"),
        (dict(), HwConfig(max_heads=8), "heads per node"),
        (dict(n_embd=1000, n_head=10), HwConfig(), "multiples of 32"),
    ],
)
def test_models_that_do_not_fit_are_refused(change, hw, match):
    cfg = dataclasses.replace(get_config("gpt2-medium"), **change)
    with pytest.raises(CompileError, match=match):
        check_fit(cfg, hw, 1)


def test_iss_detects_a_broken_program(tiny):
    img = compile_model(tiny, 2, HW)
    prog = img.nodes[1].program
    idx = next(i for i, ins in enumerate(prog) if ins.OP == isa.Op.RING)
    prog[idx] = dataclasses.replace(prog[idx], start=prog[idx].start - 1)  # node 1's slice overlaps node 0's
    with pytest.raises(IssError):
        SystemIss(img).step(3, 0)
