"""Checkpoint folders (Hugging Face layout) and the deterministic random weights."""

import hashlib
import json
import struct

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from refmodel.checkpoint import (
    CheckpointError, check_weights, expected_shapes, load_checkpoint, outlier_channels,
    random_weights, save_checkpoint, OUTLIER_GAMMA,
)
from refmodel.config import GPT2Config, get_config
from refmodel.float_model import FloatGPT2, softmax

CFG = get_config("tiny-v512")
# SHA-256 over (name, shape, bytes) of random_weights(tiny-v512, seed 0), names sorted. Pinned so that
# any change of the recipe or of numpy's random streams is noticed: such a change silently alters
# every test model and every recorded expected token.
TINY_V512_SEED0_SHA256 = "38c5ee404c523e009ecb7b0f23eace50e1e20c32c664c45842c1dc08d4fb79b4"


def weights_digest(w):
    h = hashlib.sha256()
    for k in sorted(w):
        h.update(k.encode())
        h.update(str(w[k].shape).encode())
        h.update(w[k].tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def weights():
    return random_weights(CFG, 0)


def write_folder(folder, tensors, config_dict=None, metadata=None):
    """A checkpoint folder written directly with safetensors (not through save_checkpoint)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config_dict or CFG.to_hf_dict()))
    save_file(tensors, folder / "model.safetensors", metadata=metadata or {"format": "pt"})
    return folder


def write_raw_safetensors(path, tensors):
    """Write a safetensors file by hand: tensors = {name: (dtype string, shape, raw bytes)}.
    Needed for bfloat16, which numpy (and so safetensors.numpy.save_file) cannot represent."""
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def prefixed(w):
    return {"transformer." + k: v for k, v in w.items()}


# ------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("prefix", [True, False])
def test_save_load_round_trip_bit_exact(tmp_path, weights, prefix):
    folder = save_checkpoint(tmp_path / "ck", CFG, weights, prefix=prefix)
    with safe_open(folder / "model.safetensors", framework="np") as f:
        keys = set(f.keys())
        assert f.metadata() == {"format": "pt"}
    names = set(expected_shapes(CFG))
    assert keys == ({"transformer." + n for n in names} if prefix else names)
    config, loaded = load_checkpoint(folder)
    assert config == CFG
    assert loaded.keys() == weights.keys()
    for k in weights:
        assert loaded[k].dtype == np.float32
        assert loaded[k].tobytes() == weights[k].tobytes(), k
    saved = json.loads((folder / "config.json").read_text())
    assert saved["architectures"] == ["GPT2LMHeadModel"] and saved["n_embd"] == 128


def test_tied_lm_head_accepted_untied_rejected(tmp_path, weights):
    tensors = prefixed(weights)
    tensors["lm_head.weight"] = weights["wte.weight"].copy()
    _, loaded = load_checkpoint(write_folder(tmp_path / "tied", tensors))
    assert "lm_head.weight" not in loaded
    assert np.array_equal(loaded["wte.weight"], weights["wte.weight"])
    untied = weights["wte.weight"].copy()
    untied[3, 5] += 1e-3
    tensors["lm_head.weight"] = untied
    with pytest.raises(CheckpointError, match="lm_head.weight differs from wte.weight"):
        load_checkpoint(write_folder(tmp_path / "untied", tensors))


def test_hf_buffers_ignored(tmp_path, weights):
    tensors = prefixed(weights)
    P = CFG.n_positions
    for i in range(CFG.n_layer):
        tensors[f"transformer.h.{i}.attn.bias"] = np.tril(np.ones((P, P), dtype=bool)).reshape(1, 1, P, P)
        tensors[f"transformer.h.{i}.attn.masked_bias"] = np.array(-1e4, dtype=np.float32)
    _, loaded = load_checkpoint(write_folder(tmp_path / "ck", tensors))
    assert loaded.keys() == weights.keys()


def test_half_precision_converted_exactly(tmp_path, weights):
    # float16: every value converts exactly to float32.
    half = {k: v.astype(np.float16) for k, v in weights.items()}
    _, loaded = load_checkpoint(write_folder(tmp_path / "f16", half))
    for k in weights:
        assert loaded[k].dtype == np.float32
        assert np.array_equal(loaded[k], half[k].astype(np.float32)), k
    # bfloat16: the top 16 bits of the float32 pattern (truncation gives representable values).
    folder = tmp_path / "bf16"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CFG.to_hf_dict()))
    raw = {k: ("BF16", v.shape, (v.view(np.uint32) >> 16).astype("<u2").tobytes())
           for k, v in weights.items()}
    write_raw_safetensors(folder / "model.safetensors", raw)
    _, loaded = load_checkpoint(folder)
    for k, v in weights.items():
        expect = (v.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
        assert loaded[k].dtype == np.float32 and loaded[k].shape == v.shape
        assert loaded[k].tobytes() == expect.tobytes(), k


def test_sharded_checkpoint(tmp_path, weights):
    folder = tmp_path / "sharded"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CFG.to_hf_dict()))
    names = sorted(weights)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    weight_map = {}
    for shard, keys in shards.items():
        save_file({"transformer." + k: weights[k] for k in keys}, folder / shard, metadata={"format": "pt"})
        weight_map.update({"transformer." + k: shard for k in keys})
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    _, loaded = load_checkpoint(folder)
    assert all(np.array_equal(loaded[k], weights[k]) for k in weights)
    (folder / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model-00002-of-00002.safetensors"):
        load_checkpoint(folder)


# ---------------------------------------------------------------------------------- tensor errors
def _bad(tmp_path, weights, edit):
    tensors = dict(prefixed(weights))
    edit(tensors)
    return write_folder(tmp_path / "bad", tensors)


@pytest.mark.parametrize("edit, pattern", [
    (lambda t: t.pop("transformer.h.1.mlp.c_fc.bias"), r"missing tensor h\.1\.mlp\.c_fc\.bias"),
    (lambda t: t.update({"transformer.h.0.attn.c_attn.weight": np.zeros((128, 128), np.float32)}),
     r"h\.0\.attn\.c_attn\.weight has the wrong shape: expected \[128, 384\], got \[128, 128\]"),
    (lambda t: t.update({"transformer.wte.weight": np.zeros((50257, 128), np.float32)}),
     r"wte\.weight has the wrong shape: expected \[512, 128\], got \[50257, 128\]"),
    (lambda t: t.update({"transformer.ln_f.bias": np.zeros(128, np.int32)}),
     r"ln_f\.bias has dtype I32"),
    (lambda t: t.update({"transformer.h.0.ln_1.bias": np.zeros(128, np.float64)}),
     r"h\.0\.ln_1\.bias has dtype F64"),
    (lambda t: t.update({"transformer.h.2.ln_1.weight": np.ones(128, np.float32)}),
     r"unexpected tensor transformer\.h\.2\.ln_1\.weight: layer 2 does not exist"),
    (lambda t: t.update({"transformer.h.2.attn.bias": np.ones((1, 1, 64, 64), bool)}),
     r"transformer\.h\.2\.attn\.bias: layer 2"),
    (lambda t: t.update({"transformer.h.0.attn.rotary.weight": np.ones(4, np.float32)}),
     r"unexpected tensor h\.0\.attn\.rotary\.weight"),
    (lambda t: t.update({"wte.weight": t["transformer.wte.weight"]}), r"tensor wte\.weight appears twice"),
])
def test_tensor_errors_name_the_tensor(tmp_path, weights, edit, pattern):
    with pytest.raises(CheckpointError, match=pattern):
        load_checkpoint(_bad(tmp_path, weights, edit))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_values_rejected(tmp_path, weights, value):
    def edit(t):
        w = t["transformer.h.1.mlp.c_proj.weight"].copy()
        w[7, 3] = value
        t["transformer.h.1.mlp.c_proj.weight"] = w
    with pytest.raises(CheckpointError, match=r"h\.1\.mlp\.c_proj\.weight contains non-finite"):
        load_checkpoint(_bad(tmp_path, weights, edit))


# ---------------------------------------------------------------------------------- config errors
def test_config_json_errors(tmp_path, weights):
    folder = save_checkpoint(tmp_path / "ck", CFG, weights)
    cfg_path = folder / "config.json"
    good = cfg_path.read_text()

    cfg_path.write_text("{ not json")
    with pytest.raises(CheckpointError, match=r"config\.json: malformed JSON"):
        load_checkpoint(folder)

    cfg_path.write_text(json.dumps({**json.loads(good), "n_head": 3}))
    with pytest.raises(CheckpointError, match=r"config\.json: n_embd \(128\) must be divisible by n_head"):
        load_checkpoint(folder)

    cfg_path.write_text(json.dumps({k: v for k, v in json.loads(good).items() if k != "n_layer"}))
    with pytest.raises(CheckpointError, match=r"config\.json: n_layer is missing"):
        load_checkpoint(folder)

    # A config that parses but disagrees with the tensors: the tensor is named.
    cfg_path.write_text(json.dumps({**json.loads(good), "n_positions": 32, "n_ctx": 32}))
    with pytest.raises(CheckpointError, match=r"wpe\.weight has the wrong shape: expected \[32, 128\]"):
        load_checkpoint(folder)
    cfg_path.write_text(json.dumps({**json.loads(good), "n_layer": 3}))
    with pytest.raises(CheckpointError, match=r"missing tensor h\.2\.ln_1\.weight"):
        load_checkpoint(folder)

    cfg_path.unlink()
    with pytest.raises(CheckpointError, match=r"config\.json: missing"):
        load_checkpoint(folder)


def test_folder_errors(tmp_path):
    with pytest.raises(CheckpointError, match="not a checkpoint folder"):
        load_checkpoint(tmp_path / "nowhere")
    (tmp_path / "config.json").write_text(json.dumps(CFG.to_hf_dict()))
    (tmp_path / "pytorch_model.bin").write_bytes(b"\0")
    with pytest.raises(CheckpointError, match="pytorch_model.bin is not supported"):
        load_checkpoint(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(tmp_path)


def test_check_weights_and_save_refuse_bad_weights(tmp_path, weights):
    bad = dict(weights)
    bad["ln_f.weight"] = bad["ln_f.weight"].astype(np.float64)
    with pytest.raises(CheckpointError, match="ln_f.weight must be a float32"):
        save_checkpoint(tmp_path, CFG, bad)
    bad = dict(weights, extra=np.zeros(1, np.float32))
    with pytest.raises(CheckpointError, match="unexpected tensor extra"):
        check_weights(CFG, bad)


# --------------------------------------------------------------------------------- random weights
def test_random_weights_deterministic_and_pinned(weights):
    assert weights_digest(weights) == TINY_V512_SEED0_SHA256
    again = random_weights(CFG, 0)
    assert weights_digest(again) == TINY_V512_SEED0_SHA256
    other = random_weights(CFG, 1)
    assert all(not np.array_equal(other[k], weights[k]) for k in weights)
    check_weights(CFG, weights)  # canonical names, shapes, float32, finite


def test_random_weights_odd_sizes():
    cfg = GPT2Config(n_layer=1, n_embd=48, n_head=3, n_positions=5, vocab_size=7, n_inner=33)
    check_weights(cfg, random_weights(cfg, 3))


def test_random_weights_have_outlier_channels(weights):
    """The documented outliers: in every LayerNorm output (a matmul input) the outlier channels'
    max-abs is well above a typical channel's; in the embedding they stand out about 2x."""
    out = outlier_channels(CFG, 0)
    assert len(out) == 2
    assert np.all(weights["h.0.ln_1.weight"][out] > 0.4 * OUTLIER_GAMMA)
    model = FloatGPT2(CFG, weights)
    _, rec = model.forward(np.arange(40) * 7 % CFG.vocab_size, record=True)

    def ratio(act):
        channel_max = np.abs(act).max(axis=0)
        return channel_max[out].min() / np.median(np.delete(channel_max, out))

    ratios = [ratio(rec[f"h.{i}.{name}"]) for i in range(CFG.n_layer) for name in ("ln_1", "ln_2")]
    assert min(ratios) > 2.0 and np.mean(ratios) > 4.0, ratios
    assert ratio(rec["embed"]) > 1.5


def test_random_weights_give_peaked_context_dependent_predictions(weights):
    """The documented purpose of the init: next-token distributions are peaked and depend on the context."""
    model = FloatGPT2(CFG, weights)
    rng = np.random.default_rng(5)
    firsts, top1 = [], []
    for _ in range(12):
        ids = rng.integers(0, CFG.vocab_size, 8)
        logits = model.forward(ids)
        p = softmax(logits.astype(np.float64))
        top1 += list(p.max(axis=1))
        firsts.append(int(np.argmax(logits[-1])))
    assert len(set(firsts)) >= 8                      # the context matters
    assert np.median(top1) > 20 / CFG.vocab_size      # far from uniform
    assert np.median(top1) > 0.2
