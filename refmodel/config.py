"""GPT-2 model configuration: sizes, presets and the Hugging Face ``config.json`` mapping.

A :class:`GPT2Config` holds only what changes the computation. Hugging Face's ``config.json`` carries
many more keys (dropouts, task parameters, token ids, ...): :meth:`GPT2Config.from_hf_dict` ignores the
ones that do not matter for inference and rejects the ones that would change the network into
something this project does not implement (for example ``scale_attn_by_inverse_layer_idx``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

SUPPORTED_ACTIVATIONS = ("gelu_new",)


class ConfigError(ValueError):
    """A configuration is inconsistent or describes a network this project does not implement."""


@dataclass(frozen=True)
class GPT2Config:
    """Sizes of a GPT-2 (Radford et al. 2019) decoder, named as in Hugging Face's GPT2Config.

    ``n_inner`` is the MLP hidden size; ``None`` means the GPT-2 default of ``4 * n_embd``.
    """

    n_layer: int
    n_embd: int
    n_head: int
    n_positions: int
    vocab_size: int
    n_inner: int | None = None
    layer_norm_epsilon: float = 1e-5
    activation_function: str = "gelu_new"

    @property
    def d_head(self) -> int:
        """Width of one attention head."""
        return self.n_embd // self.n_head

    @property
    def d_ff(self) -> int:
        """Width of the MLP hidden layer."""
        return 4 * self.n_embd if self.n_inner is None else self.n_inner

    def validate(self) -> "GPT2Config":
        """Raise :class:`ConfigError` naming the first inconsistent field; return ``self`` if valid."""
        for name in ("n_layer", "n_embd", "n_head", "n_positions", "vocab_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
            if value <= 0:
                raise ConfigError(f"{name} must be positive, got {value}")
        if self.n_inner is not None:
            if isinstance(self.n_inner, bool) or not isinstance(self.n_inner, int):
                raise ConfigError(f"n_inner must be an integer or None, got {self.n_inner!r}")
            if self.n_inner <= 0:
                raise ConfigError(f"n_inner must be positive, got {self.n_inner}")
        if self.n_embd % self.n_head != 0:
            raise ConfigError(
                f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})"
            )
        eps = self.layer_norm_epsilon
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not (0.0 < eps < 1.0):
            raise ConfigError(f"layer_norm_epsilon must be a number in (0, 1), got {eps!r}")
        if self.activation_function not in SUPPORTED_ACTIVATIONS:
            raise ConfigError(
                f"activation_function {self.activation_function!r} is not supported "
                f"(supported: {', '.join(SUPPORTED_ACTIVATIONS)})"
            )
        return self

    # ------------------------------------------------------------------ Hugging Face mapping
    @classmethod
    def from_hf_dict(cls, d: Mapping[str, Any]) -> "GPT2Config":
        """Build a validated config from a Hugging Face GPT-2 ``config.json`` dictionary."""
        if not isinstance(d, Mapping):
            raise ConfigError(f"a GPT-2 config must be a JSON object, got {type(d).__name__}")
        model_type = d.get("model_type", "gpt2")
        if model_type != "gpt2":
            raise ConfigError(f"model_type must be 'gpt2', got {model_type!r}")
        for name in ("n_layer", "n_embd", "n_head", "n_positions", "vocab_size"):
            if name not in d:
                raise ConfigError(f"{name} is missing")
        # Keys whose non-default value would change the network into one we do not implement.
        unsupported = {
            "scale_attn_weights": True,
            "scale_attn_by_inverse_layer_idx": False,
            "add_cross_attention": False,
            "tie_word_embeddings": True,
        }
        for name, required in unsupported.items():
            if name in d and d[name] != required:
                raise ConfigError(f"{name}={d[name]!r} is not supported (only {required!r})")
        if "n_ctx" in d and d["n_ctx"] != d["n_positions"]:
            raise ConfigError(
                f"n_ctx ({d['n_ctx']}) differs from n_positions ({d['n_positions']})"
            )
        cfg = cls(
            n_layer=d["n_layer"],
            n_embd=d["n_embd"],
            n_head=d["n_head"],
            n_positions=d["n_positions"],
            vocab_size=d["vocab_size"],
            n_inner=d.get("n_inner"),
            layer_norm_epsilon=d.get("layer_norm_epsilon", 1e-5),
            activation_function=d.get("activation_function", "gelu_new"),
        )
        return cfg.validate()

    def to_hf_dict(self) -> dict[str, Any]:
        """The ``config.json`` Hugging Face's ``GPT2LMHeadModel.save_pretrained`` would write."""
        self.validate()
        eos = 50256 if self.vocab_size > 50256 else self.vocab_size - 1
        return {
            "activation_function": self.activation_function,
            "architectures": ["GPT2LMHeadModel"],
            "attn_pdrop": 0.1,
            "bos_token_id": eos,
            "embd_pdrop": 0.1,
            "eos_token_id": eos,
            "initializer_range": 0.02,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "model_type": "gpt2",
            "n_ctx": self.n_positions,
            "n_embd": self.n_embd,
            "n_head": self.n_head,
            "n_inner": self.n_inner,
            "n_layer": self.n_layer,
            "n_positions": self.n_positions,
            "reorder_and_upcast_attn": False,
            "resid_pdrop": 0.1,
            "scale_attn_by_inverse_layer_idx": False,
            "scale_attn_weights": True,
            "summary_activation": None,
            "summary_first_dropout": 0.1,
            "summary_proj_to_labels": True,
            "summary_type": "cls_index",
            "summary_use_proj": True,
            "tie_word_embeddings": True,
            "use_cache": True,
            "vocab_size": self.vocab_size,
        }

    def replace(self, **changes: Any) -> "GPT2Config":
        """A copy with some fields changed (not validated: call :meth:`validate`)."""
        return dataclasses.replace(self, **changes)


PRESETS: dict[str, GPT2Config] = {
    # The demo model: real GPT-2 vocabulary so that text round-trips through the tokenizer.
    "tiny": GPT2Config(n_layer=2, n_embd=128, n_head=2, n_positions=64, vocab_size=50257),
    # The same with a 512-entry vocabulary: the fast test model.
    "tiny-v512": GPT2Config(n_layer=2, n_embd=128, n_head=2, n_positions=64, vocab_size=512),
    # More layers and a 256-token context, so KV-cache walks cross memory block boundaries.
    "tiny-deep": GPT2Config(n_layer=4, n_embd=128, n_head=2, n_positions=256, vocab_size=512),
    # Eight heads of 64 (the attention kernel's HeadDim): one head per node on an 8-node ring.
    "tiny-h8": GPT2Config(n_layer=2, n_embd=512, n_head=8, n_positions=64, vocab_size=512),
    # The real model shapes.
    "gpt2": GPT2Config(n_layer=12, n_embd=768, n_head=12, n_positions=1024, vocab_size=50257),
    "gpt2-medium": GPT2Config(n_layer=24, n_embd=1024, n_head=16, n_positions=1024, vocab_size=50257),
}


def get_config(name: str) -> GPT2Config:
    """The preset called ``name``; :class:`ConfigError` listing the presets if there is none."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown config {name!r} (presets: {', '.join(PRESETS)})"
        ) from None
