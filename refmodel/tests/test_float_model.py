"""The float GPT-2: cache path vs full sequence, the nonlinearities, errors, and agreement with
Hugging Face's own GPT-2 on a checkpoint Hugging Face transformers wrote (data/hf_tiny_gpt2, made by
data/make_hf_tiny_gpt2.py), and with an independent float64 GPT-2 on a checkpoint laid out as older
versions of save_pretrained did."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from refmodel.checkpoint import load_checkpoint, random_weights
from refmodel import cli
from refmodel.cli import generate
from refmodel.config import get_config
from refmodel.float_model import (
    FloatEngine, FloatGPT2, activation_names, gelu_new, greedy, layer_norm,
)

CFG = get_config("tiny-v512")


@pytest.fixture(scope="module")
def model():
    return FloatGPT2(CFG, random_weights(CFG, 0))


# ---------------------------------------------------------------------------- nonlinearities
def test_gelu_new_against_formula():
    xs = np.array([-6.0, -3.0, -1.5, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.0, 4.0, 9.0])
    expect = [0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))) for x in xs]
    np.testing.assert_allclose(gelu_new(xs), expect, rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(gelu_new(xs.astype(np.float32)), expect, rtol=2e-6, atol=1e-7)
    assert gelu_new(xs.astype(np.float32)).dtype == np.float32
    # Published value of the tanh approximation at 1 (the exact erf GELU gives 0.8413447).
    assert abs(float(gelu_new(np.array([1.0]))[0]) - 0.8411920) < 1e-7


def test_layer_norm_against_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(4, 37))
    g, b = rng.normal(1.0, 0.3, 37), rng.normal(0.0, 0.3, 37)
    for row, got in zip(x, layer_norm(x, g, b, 1e-5)):
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)      # biased variance, as torch
        expect = [(v - mean) / math.sqrt(var + 1e-5) * gi + bi for v, gi, bi in zip(row, g, b)]
        np.testing.assert_allclose(got, expect, rtol=1e-12, atol=1e-12)
    # eps matters for a constant row: output is beta exactly.
    np.testing.assert_allclose(layer_norm(np.full((1, 37), 5.0), g, b, 1e-5)[0], b, atol=0)


def test_greedy_ties_go_to_lowest_index():
    assert greedy(np.array([0.0, 3.0, 1.0, 3.0])) == 1
    assert greedy(np.array([2.0, 2.0])) == 0


# -------------------------------------------------------------------------- cache vs sequence
def test_cache_path_matches_full_sequence(model):
    ids = [int(t) for t in np.random.default_rng(1).integers(0, CFG.vocab_size, CFG.n_positions)]
    full, rec_full = model.forward(ids, record=True)
    model.reset()
    for pos, tok in enumerate(ids):
        logits, rec = model.step(tok, pos, record=True)
        # float32, two different summation orders (einsum over a cache vs batched matmul)
        np.testing.assert_allclose(logits, full[pos], rtol=1e-4, atol=2e-5)
        if pos in (0, 17, CFG.n_positions - 1):
            assert list(rec) == activation_names(CFG)
            for name, value in rec.items():
                if name.endswith(("attn_scores", "attn_probs")):   # [H, t] row of [H, T, T]
                    assert value.shape == (CFG.n_head, pos + 1)
                    np.testing.assert_allclose(value, rec_full[name][:, pos, : pos + 1],
                                               rtol=1e-4, atol=1e-5)
                    continue
                ref = rec_full[name][pos]
                assert value.shape == ref.shape, name
                np.testing.assert_allclose(value, ref, rtol=1e-4, atol=2e-5, err_msg=name)
    assert model.n_cached == CFG.n_positions


def test_recorded_shapes(model):
    model.reset()
    _, rec = model.step(5, 0, record=True)
    d, f = CFG.n_embd, CFG.d_ff
    assert rec["embed"].shape == (d,) and rec["logits"].shape == (CFG.vocab_size,)
    assert rec["h.1.fc1"].shape == (f,) and rec["h.1.gelu"].shape == (f,)
    assert rec["h.0.q"].shape == (d,) and rec["h.0.attn_probs"].shape == (CFG.n_head, 1)
    np.testing.assert_array_equal(rec["h.1.gelu"], gelu_new(rec["h.1.fc1"]))
    np.testing.assert_allclose(rec["h.0.resid_mlp"], rec["h.0.resid_attn"] + rec["h.0.fc2"], rtol=0)
    np.testing.assert_allclose(rec["h.0.attn_probs"], 1.0)       # one visible position


def test_reset_reproduces(model):
    model.reset()
    a = [model.step(t, p).copy() for p, t in enumerate([3, 1, 4, 1, 5])]
    model.reset()
    b = [model.step(t, p) for p, t in enumerate([3, 1, 4, 1, 5])]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_position_and_token_errors(model):
    model.reset()
    with pytest.raises(ValueError, match="pos 1 out of order"):
        model.step(1, 1)
    model.step(1, 0)
    with pytest.raises(ValueError, match="pos 0 out of order"):
        model.step(1, 0)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model.step(CFG.vocab_size, 1)
    model.reset()
    for pos in range(CFG.n_positions):
        model.step(0, pos)
    with pytest.raises(ValueError, match=f"outside the context of {CFG.n_positions}"):
        model.step(0, CFG.n_positions)
    with pytest.raises(ValueError, match="sequence length"):
        model.forward(list(range(CFG.n_positions + 1)))
    with pytest.raises(ValueError, match="token ids"):
        model.forward([0, -1])


def test_float64_mode_close_to_float32(model):
    m64 = FloatGPT2(CFG, random_weights(CFG, 0), dtype=np.float64)
    ids = list(range(0, 300, 11))
    l64 = m64.forward(ids)
    assert l64.dtype == np.float64
    np.testing.assert_allclose(model.forward(ids), l64, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="dtype"):
        FloatGPT2(CFG, random_weights(CFG, 0), dtype=np.float16)


# --------------------------------------------- a checkpoint written by Hugging Face transformers
HF_FIXTURE = Path(__file__).parent / "data" / "hf_tiny_gpt2"


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-9)], ids=["f32", "f64"])
def test_transformers_checkpoint_matches_transformers_gpt2(dtype, tol):
    """GPT2LMHeadModel.save_pretrained's folder (transformers 4.46.3: no lm_head, no mask buffers)
    loads, and greedy decoding equals transformers' own generate(); the logits equal transformers'
    float64 logits (recorded in the fixture) within the arithmetic's rounding."""
    expect = json.loads((HF_FIXTURE / "expected.json").read_text())
    expect_logits = np.load(HF_FIXTURE / "logits_float64.npy")
    prompt, expect_ids = expect["prompt_ids"], expect["generated_ids"]
    assert expect["written_by"]["transformers"] == "4.46.3"
    assert sorted(load_file(HF_FIXTURE / "model.safetensors"))[0].startswith("transformer.")

    config, weights = load_checkpoint(HF_FIXTURE)
    assert (config.n_layer, config.n_embd, config.n_head, config.d_ff, config.vocab_size,
            config.n_positions) == (3, 32, 2, 96, 300, 48)
    # Greedy tokens are evidence only if the two best logits along the path are far apart
    # compared with the tolerance.
    scale = np.abs(expect_logits).max()
    path = expect_logits[len(prompt) - 1:]
    top2 = np.sort(path, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 100 * 2e-5 * scale
    assert len(set(expect_ids)) >= 8 and len(expect_ids) == 24

    gen = generate(FloatEngine(config, weights, dtype=dtype), prompt, len(expect_ids), config.n_positions)
    assert gen.generated_ids == expect_ids
    logits = FloatGPT2(config, weights, dtype=dtype).forward(prompt + expect_ids[:-1])
    np.testing.assert_allclose(logits, expect_logits, rtol=0, atol=tol * scale)


def test_transformers_checkpoint_through_the_command_line(capsys):
    expect = json.loads((HF_FIXTURE / "expected.json").read_text())
    code = cli.main(["generate", "--engine", "float", "--checkpoint", str(HF_FIXTURE), "--prompt-ids",
                     *map(str, expect["prompt_ids"]), "--tokens", str(len(expect["generated_ids"])),
                     "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["prompt_ids"] == expect["prompt_ids"]
    assert result["generated_ids"] == expect["generated_ids"]


# --------------------------------------------- older save_pretrained layout, independent GPT-2
# Written by this test as transformers' GPT2LMHeadModel.save_pretrained laid it out in its older
# versions: state_dict names with "transformer.", the causal-mask buffers attn.bias (bool
# [1, 1, P, P]) and attn.masked_bias (scalar -1e4), a tied lm_head.weight stored as well,
# metadata {"format": "pt"}, and a config.json with the real keys.
HF_CONFIG = {
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 299, "embd_pdrop": 0.1, "eos_token_id": 299, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 32, "n_embd": 64, "n_head": 4,
    "n_inner": 160, "n_layer": 3, "n_positions": 32, "reorder_and_upcast_attn": False,
    "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
    "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
    "summary_type": "cls_index", "summary_use_proj": True,
    "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
    "torch_dtype": "float32", "transformers_version": "4.26.1", "use_cache": True, "vocab_size": 300,
}


def write_hf_checkpoint(folder):
    """Random weights of the HF_CONFIG model, written with safetensors only (own RNG and scales)."""
    c = HF_CONFIG
    d, f, P, V = c["n_embd"], c["n_inner"], c["n_positions"], c["vocab_size"]
    rng = np.random.default_rng(20240601)

    def rnd(*shape, std, mean=0.0):
        return (mean + std * rng.standard_normal(shape)).astype(np.float32)

    sd = {"transformer.wte.weight": rnd(V, d, std=0.5), "transformer.wpe.weight": rnd(P, d, std=0.2)}
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        sd.update({
            p + "ln_1.weight": rnd(d, std=0.1, mean=1.0), p + "ln_1.bias": rnd(d, std=0.1),
            p + "attn.bias": np.tril(np.ones((P, P), dtype=bool)).reshape(1, 1, P, P),
            p + "attn.masked_bias": np.array(-1e4, dtype=np.float32),
            p + "attn.c_attn.weight": rnd(d, 3 * d, std=0.25), p + "attn.c_attn.bias": rnd(3 * d, std=0.1),
            p + "attn.c_proj.weight": rnd(d, d, std=0.2), p + "attn.c_proj.bias": rnd(d, std=0.1),
            p + "ln_2.weight": rnd(d, std=0.1, mean=1.0), p + "ln_2.bias": rnd(d, std=0.1),
            p + "mlp.c_fc.weight": rnd(d, f, std=0.15), p + "mlp.c_fc.bias": rnd(f, std=0.1),
            p + "mlp.c_proj.weight": rnd(f, d, std=0.15), p + "mlp.c_proj.bias": rnd(d, std=0.1),
        })
    sd["transformer.ln_f.weight"] = rnd(d, std=0.1, mean=1.0)
    sd["transformer.ln_f.bias"] = rnd(d, std=0.1)
    sd["lm_head.weight"] = sd["transformer.wte.weight"].copy()
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(HF_CONFIG, indent=2, sort_keys=True))
    save_file(sd, folder / "model.safetensors", metadata={"format": "pt"})


def pico_gpt2_greedy(folder, prompt, n_new):
    """A minimal GPT-2 in the functional picoGPT style: float64, no KV cache, the whole sequence
    recomputed for every new token. Reads the file itself. Returns (tokens, logits of the last pass)."""
    hp = json.loads((folder / "config.json").read_text())
    sd = {k: v.astype(np.float64) for k, v in load_file(folder / "model.safetensors").items()
          if v.dtype != bool}
    P = lambda name: sd["transformer." + name]  # noqa: E731

    def gelu(x):
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))

    def softmax(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def ln(x, g, b, eps=hp["layer_norm_epsilon"]):
        mu = np.mean(x, axis=-1, keepdims=True)
        return g * (x - mu) / np.sqrt(np.var(x, axis=-1, keepdims=True) + eps) + b

    def linear(x, w, b):
        return x @ w + b

    def attention(q, k, v, mask):
        return softmax(q @ k.T / np.sqrt(q.shape[-1]) + mask) @ v

    def mha(x, i, n_head):
        x = linear(x, P(f"h.{i}.attn.c_attn.weight"), P(f"h.{i}.attn.c_attn.bias"))
        heads = [np.split(part, n_head, axis=-1) for part in np.split(x, 3, axis=-1)]
        mask = (1 - np.tri(x.shape[0])) * -1e10
        out = np.hstack([attention(q, k, v, mask) for q, k, v in zip(*heads)])
        return linear(out, P(f"h.{i}.attn.c_proj.weight"), P(f"h.{i}.attn.c_proj.bias"))

    def block(x, i):
        x = x + mha(ln(x, P(f"h.{i}.ln_1.weight"), P(f"h.{i}.ln_1.bias")), i, hp["n_head"])
        h = ln(x, P(f"h.{i}.ln_2.weight"), P(f"h.{i}.ln_2.bias"))
        h = gelu(linear(h, P(f"h.{i}.mlp.c_fc.weight"), P(f"h.{i}.mlp.c_fc.bias")))
        return x + linear(h, P(f"h.{i}.mlp.c_proj.weight"), P(f"h.{i}.mlp.c_proj.bias"))

    def gpt2(ids):
        x = P("wte.weight")[ids] + P("wpe.weight")[range(len(ids))]
        for i in range(hp["n_layer"]):
            x = block(x, i)
        return ln(x, P("ln_f.weight"), P("ln_f.bias")) @ sd["lm_head.weight"].T

    ids = list(prompt)
    for _ in range(n_new):
        logits = gpt2(ids)
        ids.append(int(np.argmax(logits[-1])))
    return ids[len(prompt):], gpt2(ids[:-1])


def test_third_party_hf_checkpoint_matches_independent_gpt2(tmp_path):
    folder = tmp_path / "hf-gpt2"
    write_hf_checkpoint(folder)
    prompt, n_new = [7, 123, 42, 299, 0, 55], 20
    expect_ids, expect_logits = pico_gpt2_greedy(folder, prompt, n_new)

    config, weights = load_checkpoint(folder)
    assert (config.n_layer, config.n_embd, config.n_head, config.d_ff) == (3, 64, 4, 160)
    seq = prompt + expect_ids[:-1]
    # The margin between the two best logits along the path must dwarf the tolerance below,
    # otherwise equal greedy tokens would be luck rather than evidence.
    scale = np.abs(expect_logits).max()
    top2 = np.sort(expect_logits, axis=1)[:, -2:]
    assert (top2[:, 1] - top2[:, 0]).min() > 100 * 2e-5 * scale
    assert len(set(expect_ids)) > 3

    for dtype, tol in ((np.float32, 2e-5), (np.float64, 1e-10)):
        gen = generate(FloatEngine(config, weights, dtype=dtype), prompt, n_new, config.n_positions)
        assert gen.generated_ids == expect_ids, dtype
        logits = FloatGPT2(config, weights, dtype=dtype).forward(seq)
        # float32: unit roundoff 6e-8, dot products of <= 160 terms of logits of magnitude ~10:
        # errors of order 1e-6; 2e-5 absolute leaves margin. float64: only summation order differs.
        np.testing.assert_allclose(logits, expect_logits, rtol=0, atol=tol * scale)
