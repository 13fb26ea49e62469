"""GPT2Config: presets, the Hugging Face config.json mapping, and every validation error."""

import json

import pytest

from refmodel.config import PRESETS, ConfigError, GPT2Config, get_config

# The config.json files of the published Hugging Face "gpt2" and "gpt2-medium" models, verbatim.
HF_GPT2_CONFIG_JSON = """
{
  "activation_function": "gelu_new",
  "architectures": [
    "GPT2LMHeadModel"
  ],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 768,
  "n_head": 12,
  "n_layer": 12,
  "n_positions": 1024,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "task_specific_params": {
    "text-generation": {
      "do_sample": true,
      "max_length": 50
    }
  },
  "vocab_size": 50257
}
"""

HF_GPT2_MEDIUM_CONFIG_JSON = """
{
  "activation_function": "gelu_new",
  "architectures": [
    "GPT2LMHeadModel"
  ],
  "attn_pdrop": 0.1,
  "bos_token_id": 50256,
  "embd_pdrop": 0.1,
  "eos_token_id": 50256,
  "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_ctx": 1024,
  "n_embd": 1024,
  "n_head": 16,
  "n_layer": 24,
  "n_positions": 1024,
  "n_special": 0,
  "predict_special_tokens": true,
  "resid_pdrop": 0.1,
  "summary_activation": null,
  "summary_first_dropout": 0.1,
  "summary_proj_to_labels": true,
  "summary_type": "cls_index",
  "summary_use_proj": true,
  "task_specific_params": {
    "text-generation": {
      "do_sample": true,
      "max_length": 50
    }
  },
  "vocab_size": 50257
}
"""


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_valid(name):
    cfg = get_config(name)
    assert cfg.validate() is cfg
    assert cfg.d_head * cfg.n_head == cfg.n_embd
    assert cfg.d_ff == 4 * cfg.n_embd


def test_preset_sizes():
    tiny = get_config("tiny")
    assert (tiny.n_layer, tiny.n_embd, tiny.n_head, tiny.d_head, tiny.n_positions, tiny.vocab_size) == (
        2, 128, 2, 64, 64, 50257)
    assert get_config("tiny-v512") == tiny.replace(vocab_size=512)
    deep = get_config("tiny-deep")
    assert (deep.n_layer, deep.n_embd, deep.n_head, deep.n_positions) == (4, 128, 2, 256)
    assert get_config("gpt2") == GPT2Config.from_hf_dict(json.loads(HF_GPT2_CONFIG_JSON))
    assert get_config("gpt2-medium") == GPT2Config.from_hf_dict(json.loads(HF_GPT2_MEDIUM_CONFIG_JSON))


def test_unknown_preset_lists_presets():
    with pytest.raises(ConfigError) as exc:
        get_config("gpt5")
    for name in PRESETS:
        assert name in str(exc.value)
    assert "gpt5" in str(exc.value)


@pytest.mark.parametrize("text, sizes", [
    (HF_GPT2_CONFIG_JSON, (12, 768, 12, 64, 3072, 1024, 50257)),
    (HF_GPT2_MEDIUM_CONFIG_JSON, (24, 1024, 16, 64, 4096, 1024, 50257)),
])
def test_real_hf_config_json_parses(text, sizes):
    cfg = GPT2Config.from_hf_dict(json.loads(text))
    assert (cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.d_head, cfg.d_ff, cfg.n_positions,
            cfg.vocab_size) == sizes
    assert cfg.layer_norm_epsilon == 1e-5
    assert cfg.activation_function == "gelu_new"


@pytest.mark.parametrize("cfg", list(PRESETS.values()) + [
    GPT2Config(n_layer=3, n_embd=96, n_head=3, n_positions=40, vocab_size=1000, n_inner=200,
               layer_norm_epsilon=1e-6)])
def test_hf_dict_round_trip(cfg):
    d = cfg.to_hf_dict()
    assert GPT2Config.from_hf_dict(json.loads(json.dumps(d))) == cfg
    assert d["architectures"] == ["GPT2LMHeadModel"] and d["model_type"] == "gpt2"
    assert d["n_ctx"] == cfg.n_positions


def _hf(**changes):
    d = json.loads(HF_GPT2_CONFIG_JSON)
    d.update(changes)
    return d


@pytest.mark.parametrize("changes, field", [
    ({"n_embd": 770}, "n_embd"),                       # not divisible by n_head = 12
    ({"n_layer": 0}, "n_layer"),
    ({"n_head": -2}, "n_head"),
    ({"n_positions": 0, "n_ctx": 0}, "n_positions"),
    ({"vocab_size": 0}, "vocab_size"),
    ({"n_inner": 0}, "n_inner"),
    ({"n_layer": "12"}, "n_layer"),
    ({"n_embd": 768.0}, "n_embd"),
    ({"layer_norm_epsilon": 0.0}, "layer_norm_epsilon"),
    ({"activation_function": "relu"}, "activation_function"),
    ({"n_ctx": 512}, "n_ctx"),
    ({"model_type": "bert"}, "model_type"),
    ({"scale_attn_by_inverse_layer_idx": True}, "scale_attn_by_inverse_layer_idx"),
    ({"scale_attn_weights": False}, "scale_attn_weights"),
    ({"add_cross_attention": True}, "add_cross_attention"),
    ({"tie_word_embeddings": False}, "tie_word_embeddings"),
])
def test_inconsistent_hf_config_names_the_field(changes, field):
    with pytest.raises(ConfigError, match=field):
        GPT2Config.from_hf_dict(_hf(**changes))


@pytest.mark.parametrize("field", ["n_layer", "n_embd", "n_head", "n_positions", "vocab_size"])
def test_missing_size_names_the_field(field):
    d = _hf()
    del d[field]
    with pytest.raises(ConfigError, match=f"{field} is missing"):
        GPT2Config.from_hf_dict(d)


def test_validate_direct():
    assert issubclass(ConfigError, ValueError)
    with pytest.raises(ConfigError, match="n_embd"):
        GPT2Config(n_layer=1, n_embd=100, n_head=3, n_positions=8, vocab_size=10).validate()
    with pytest.raises(ConfigError, match="must be a JSON object"):
        GPT2Config.from_hf_dict([1, 2])
    cfg = GPT2Config(n_layer=1, n_embd=64, n_head=4, n_positions=8, vocab_size=10, n_inner=100)
    assert cfg.validate().d_ff == 100 and cfg.d_head == 16
