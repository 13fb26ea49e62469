"""GPT-2 weights: Hugging Face checkpoint folders and deterministic random weights.

Weights are a ``dict[str, np.ndarray]`` of float32 arrays under *canonical names*: Hugging Face's
GPT-2 names without the ``transformer.`` prefix. Linear layers are Conv1D, stored ``[in, out]``::

    wte.weight                [V, d]        token embedding, also the (tied) LM head
    wpe.weight                [P, d]        learned positions
    h.{i}.ln_1.weight / .bias [d]
    h.{i}.attn.c_attn.weight  [d, 3d]       columns: q | k | v, each head-major
    h.{i}.attn.c_attn.bias    [3d]
    h.{i}.attn.c_proj.weight  [d, d]        .bias [d]
    h.{i}.ln_2.weight / .bias [d]
    h.{i}.mlp.c_fc.weight     [d, d_ff]     .bias [d_ff]
    h.{i}.mlp.c_proj.weight   [d_ff, d]     .bias [d]
    ln_f.weight / .bias       [d]

A checkpoint folder is what ``GPT2LMHeadModel.save_pretrained`` writes: ``config.json`` and
``model.safetensors`` (or shards listed in ``model.safetensors.index.json``).
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from .config import ConfigError, GPT2Config

PREFIX = "transformer."
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"

# Non-parameter buffers older transformers versions store in the state dict (causal mask, -1e4).
_BUFFER_RE = re.compile(r"^h\.(\d+)\.attn\.(bias|masked_bias)$")
_LAYER_RE = re.compile(r"^h\.(\d+)\.")

_LAYER_PARAMS = (
    "ln_1.weight", "ln_1.bias",
    "attn.c_attn.weight", "attn.c_attn.bias",
    "attn.c_proj.weight", "attn.c_proj.bias",
    "ln_2.weight", "ln_2.bias",
    "mlp.c_fc.weight", "mlp.c_fc.bias",
    "mlp.c_proj.weight", "mlp.c_proj.bias",
)


class CheckpointError(ValueError):
    """A checkpoint folder or weight dictionary is unusable; the message names the file or tensor."""


def expected_shapes(config: GPT2Config) -> dict[str, tuple[int, ...]]:
    """Canonical tensor name -> shape, in the canonical order (embeddings, layers, final LN)."""
    d, f, v, p = config.n_embd, config.d_ff, config.vocab_size, config.n_positions
    layer = {
        "ln_1.weight": (d,), "ln_1.bias": (d,),
        "attn.c_attn.weight": (d, 3 * d), "attn.c_attn.bias": (3 * d,),
        "attn.c_proj.weight": (d, d), "attn.c_proj.bias": (d,),
        "ln_2.weight": (d,), "ln_2.bias": (d,),
        "mlp.c_fc.weight": (d, f), "mlp.c_fc.bias": (f,),
        "mlp.c_proj.weight": (f, d), "mlp.c_proj.bias": (d,),
    }
    shapes: dict[str, tuple[int, ...]] = {"wte.weight": (v, d), "wpe.weight": (p, d)}
    for i in range(config.n_layer):
        for name in _LAYER_PARAMS:
            shapes[f"h.{i}.{name}"] = layer[name]
    shapes["ln_f.weight"] = (d,)
    shapes["ln_f.bias"] = (d,)
    return shapes


def check_weights(config: GPT2Config, weights: dict[str, np.ndarray]) -> None:
    """Raise :class:`CheckpointError` unless ``weights`` holds exactly the canonical float32 tensors."""
    shapes = expected_shapes(config)
    for name, shape in shapes.items():
        if name not in weights:
            raise CheckpointError(f"missing tensor {name} (expected shape {list(shape)})")
        w = weights[name]
        if not isinstance(w, np.ndarray) or w.dtype != np.float32:
            got = w.dtype if isinstance(w, np.ndarray) else type(w).__name__
            raise CheckpointError(f"tensor {name} must be a float32 numpy array, got {got}")
        if w.shape != shape:
            raise CheckpointError(
                f"tensor {name} has the wrong shape: expected {list(shape)}, got {list(w.shape)}"
            )
        if not np.all(np.isfinite(w)):
            raise CheckpointError(f"tensor {name} contains non-finite values (inf or nan)")
    extra = sorted(set(weights) - set(shapes))
    if extra:
        raise CheckpointError(f"unexpected tensor {extra[0]} for a {config.n_layer}-layer model")


# ---------------------------------------------------------------------------------------- loading
def _read_config(folder: Path) -> GPT2Config:
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: missing (a checkpoint folder needs {CONFIG_FILE})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: malformed JSON: {exc}") from None
    try:
        return GPT2Config.from_hf_dict(data)
    except ConfigError as exc:
        raise CheckpointError(f"{path}: {exc}") from None


def _weight_files(folder: Path) -> list[Path]:
    single = folder / WEIGHTS_FILE
    if single.is_file():
        return [single]
    index = folder / INDEX_FILE
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            files = sorted(set(weight_map.values()))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise CheckpointError(f"{index}: malformed shard index: {exc!r}") from None
        paths = [folder / name for name in files]
        for p in paths:
            if not p.is_file():
                raise CheckpointError(f"{index}: lists shard {p.name}, which is missing")
        return paths
    hint = " (pytorch_model.bin is not supported: convert it to safetensors)" if (
        folder / "pytorch_model.bin").exists() else ""
    raise CheckpointError(f"{folder}: no {WEIGHTS_FILE} or {INDEX_FILE}{hint}")


def _header(path: Path) -> tuple[int, dict]:
    """(start of the data section, JSON header) of a safetensors file: 8-byte little-endian header
    length, then the header. Used for the raw byte range of bfloat16 tensors."""
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        return 8 + n, json.loads(fh.read(n))


def _read_tensor(path: Path, handle, name: str) -> np.ndarray:
    """One tensor as float32: F32 as is, F16 and BF16 widened exactly; anything else rejected."""
    sl = handle.get_slice(name)
    dtype = sl.get_dtype()
    shape = tuple(sl.get_shape())
    if dtype in ("F32", "F16"):
        return np.array(handle.get_tensor(name), dtype=np.float32)
    if dtype == "BF16":
        # numpy has no bfloat16; the safetensors numpy API cannot return it. A bfloat16 is the top
        # half of a float32, so shifting its 16 bits left by 16 gives the exact float32 value.
        data_start, header = _header(path)
        begin, end = header[name]["data_offsets"]
        raw = np.fromfile(path, dtype="<u2", count=(end - begin) // 2, offset=data_start + begin)
        return (raw.astype(np.uint32) << 16).view(np.float32).reshape(shape)
    raise CheckpointError(
        f"{path.name}: tensor {name} has dtype {dtype}; only F32, F16 and BF16 are accepted"
    )


def load_checkpoint(folder: str | Path) -> tuple[GPT2Config, dict[str, np.ndarray]]:
    """Read a Hugging Face GPT-2 folder; return its config and canonical float32 weights.

    Names are accepted with or without ``transformer.``; the causal-mask buffers ``h.N.attn.bias`` and
    ``h.N.attn.masked_bias`` are ignored; ``lm_head.weight`` is accepted only if it equals ``wte.weight``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a checkpoint folder (does not exist or is not a folder)")
    config = _read_config(folder)
    weights: dict[str, np.ndarray] = {}
    lm_head: np.ndarray | None = None
    for path in _weight_files(folder):
        try:
            handle_cm = safe_open(path, framework="np")
        except Exception as exc:  # the Rust reader raises its own error types
            raise CheckpointError(f"{path}: not a readable safetensors file: {exc}") from None
        with handle_cm as handle:
            for key in handle.keys():
                name = key[len(PREFIX):] if key.startswith(PREFIX) else key
                m = _LAYER_RE.match(name)
                if m and int(m.group(1)) >= config.n_layer:
                    raise CheckpointError(
                        f"{path.name}: unexpected tensor {key}: layer {m.group(1)} does not exist in "
                        f"a {config.n_layer}-layer model (config.json n_layer={config.n_layer})"
                    )
                if _BUFFER_RE.match(name):
                    continue
                if name in weights or (name == "lm_head.weight" and lm_head is not None):
                    raise CheckpointError(f"{path.name}: tensor {name} appears twice")
                tensor = _read_tensor(path, handle, key)
                if name == "lm_head.weight":
                    lm_head = tensor
                else:
                    weights[name] = tensor
    shapes = expected_shapes(config)
    for name in weights:
        if name not in shapes:
            raise CheckpointError(f"unexpected tensor {name} in {folder}")
    try:
        check_weights(config, weights)
    except CheckpointError as exc:
        raise CheckpointError(f"{folder}: {exc}") from None
    if lm_head is not None:
        if lm_head.shape != weights["wte.weight"].shape or not np.array_equal(
                lm_head, weights["wte.weight"]):
            raise CheckpointError(
                f"{folder}: lm_head.weight differs from wte.weight; only a tied LM head is supported"
            )
    return config, weights


def save_checkpoint(folder: str | Path, config: GPT2Config, weights: dict[str, np.ndarray],
                    prefix: bool = True) -> Path:
    """Write ``config.json`` and ``model.safetensors`` the way ``save_pretrained`` does.

    With ``prefix`` the tensor names carry ``transformer.`` (a saved ``GPT2LMHeadModel``); the tied
    ``lm_head.weight`` is not stored, as ``save_pretrained`` drops tied copies. Returns the folder.
    """
    config.validate()
    check_weights(config, weights)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(json.dumps(config.to_hf_dict(), indent=2) + "\n",
                                      encoding="utf-8")
    tensors = {(PREFIX + name if prefix else name): np.ascontiguousarray(weights[name])
               for name in expected_shapes(config)}
    save_file(tensors, folder / WEIGHTS_FILE, metadata={"format": "pt"})
    return folder


# ---------------------------------------------------------------------------------- random weights
def outlier_channels(config: GPT2Config, seed: int) -> np.ndarray:
    """The residual channels :func:`random_weights` makes into outliers (sorted channel indices)."""
    rng = np.random.Generator(np.random.PCG64([seed, 1]))
    n = max(2, config.n_embd // 128)
    return np.sort(rng.choice(config.n_embd, size=n, replace=False))


def random_weights(config: GPT2Config, seed: int) -> dict[str, np.ndarray]:
    """Deterministic GPT-2-like random weights (the same bytes for the same seed on any machine).

    The scales are chosen so that small models give peaked, context-dependent next-token
    distributions and every parameter matters; a few channels are outliers as in real GPT-2.
    The recipe is described in ``docs/refmodel.md``. Only numpy's PCG64 stream, float32 normals and
    exactly-rounded float32 arithmetic (+, *) are used, so the result is identical on every machine.
    """
    config.validate()
    rng = np.random.Generator(np.random.PCG64(seed))
    d, f, L = config.n_embd, config.d_ff, config.n_layer
    f32 = np.float32

    def normal(shape: tuple[int, ...], std: float, mean: float = 0.0) -> np.ndarray:
        x = rng.standard_normal(shape, dtype=f32) * f32(std)
        return x + f32(mean) if mean else x

    out = outlier_channels(config, seed)
    w: dict[str, np.ndarray] = {}
    w["wte.weight"] = normal((config.vocab_size, d), INIT["wte"] / d ** 0.5)
    w["wpe.weight"] = normal((config.n_positions, d), INIT["wpe"] / d ** 0.5)
    # Outlier channels of the residual stream: a large constant offset carried by every position.
    w["wpe.weight"][:, out] += f32(OUTLIER_RESIDUAL * INIT["wte"] / d ** 0.5)
    for i in range(L):
        p = f"h.{i}."
        w[p + "ln_1.weight"] = normal((d,), 0.2, 1.0)
        w[p + "ln_1.bias"] = normal((d,), 0.1)
        w[p + "attn.c_attn.weight"] = normal((d, 3 * d), INIT["attn"] / d ** 0.5)
        w[p + "attn.c_attn.bias"] = normal((3 * d,), 0.1)
        w[p + "attn.c_proj.weight"] = normal((d, d), INIT["attn_proj"] / d ** 0.5)
        w[p + "attn.c_proj.bias"] = normal((d,), 0.1)
        w[p + "ln_2.weight"] = normal((d,), 0.2, 1.0)
        w[p + "ln_2.bias"] = normal((d,), 0.1)
        w[p + "mlp.c_fc.weight"] = normal((d, f), INIT["fc"] / d ** 0.5)
        w[p + "mlp.c_fc.bias"] = normal((f,), 0.2)
        # Mean-free MLP output: GELU outputs have a positive mean, which through random weights would
        # add the same vector to the residual stream for every input and make one token win
        # everywhere. Negating the first half of the rows into the second half cancels it exactly.
        half = normal((f // 2, d), INIT["mlp_proj"] / f ** 0.5)
        rest = normal((f - 2 * (f // 2), d), INIT["mlp_proj"] / f ** 0.5)
        w[p + "mlp.c_proj.weight"] = np.concatenate([half, -half, rest])
        w[p + "mlp.c_proj.bias"] = normal((d,), 0.1)
        # Outlier channels of the LayerNorm outputs (the matmul inputs): a large gamma, compensated
        # by correspondingly small weight rows, as in trained GPT-2 (the SmoothQuant situation).
        for ln, mat in (("ln_1", "attn.c_attn"), ("ln_2", "mlp.c_fc")):
            w[p + ln + ".weight"][out] *= f32(OUTLIER_GAMMA)
            w[p + mat + ".weight"][out, :] *= f32(1.0 / OUTLIER_GAMMA)
    w["ln_f.weight"] = normal((d,), 0.2, 1.0)
    w["ln_f.bias"] = normal((d,), 0.1)
    return w


# Standard deviations of the random weights, times 1/sqrt(fan_in) (see docs/refmodel.md).
INIT = {"wte": 4.0, "wpe": 1.0, "attn": 2.0, "attn_proj": 6.0, "fc": 1.0, "mlp_proj": 6.0}
OUTLIER_RESIDUAL = 3.0   # offset of the outlier channels of every position embedding, in wte stds
OUTLIER_GAMMA = 4.0      # LayerNorm gamma multiplier on the outlier channels (weights divided by it)
