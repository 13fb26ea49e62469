"""The looplynx command line: each subcommand, JSON output, and one-line errors with exit code 2."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from refmodel import cli
from refmodel.checkpoint import load_checkpoint, random_weights
from refmodel.config import get_config
from refmodel.float_model import FloatGPT2
from refmodel.tokenizer import decode, encode


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def greedy_by_recompute(config, weights, prompt, n):
    """Expected tokens computed without the KV cache or cli.generate: full forward per token."""
    model, ids = FloatGPT2(config, weights), list(prompt)
    for _ in range(n):
        ids.append(int(np.argmax(model.forward(ids)[-1])))
    return ids[len(prompt):]


def test_tokenize_detokenize(capsys):
    assert run(capsys, "tokenize", "Hello world") == (0, "15496 995\n", "")
    assert run(capsys, "detokenize", "15496", "995") == (0, "Hello world\n", "")
    assert run(capsys, "tokenize", "")[:2] == (0, "\n")


def test_make_checkpoint(capsys, tmp_path):
    code, out, err = run(capsys, "make-checkpoint", "--config", "tiny-v512", "--seed", "3",
                         "--out", str(tmp_path / "ck"))
    assert code == 0 and err == "" and "tiny-v512" in out
    config, weights = load_checkpoint(tmp_path / "ck")
    assert config == get_config("tiny-v512")
    expect = random_weights(config, 3)
    assert all(weights[k].tobytes() == expect[k].tobytes() for k in expect)
    hf = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert hf["architectures"] == ["GPT2LMHeadModel"]


def test_generate_json_float(capsys, tmp_path):
    prompt = [5, 17, 300, 2]
    code, out, err = run(capsys, "generate", "--engine", "float", "--config", "tiny-v512", "--seed", "1",
                         "--prompt-ids", *map(str, prompt), "--tokens", "6", "--json")
    assert code == 0 and err == ""
    assert out.count("\n") == 1
    result = json.loads(out)
    config = get_config("tiny-v512")
    expect = greedy_by_recompute(config, random_weights(config, 1), prompt, 6)
    assert result["generated_ids"] == expect
    assert result["prompt_ids"] == prompt
    assert result["engine"] == "float" and result["nodes"] == 1
    assert result["text"] == decode(expect)
    assert len(result["step_ms"]) == len(prompt) + 6 - 1

    # The same model through a checkpoint folder gives the same tokens.
    assert run(capsys, "make-checkpoint", "--config", "tiny-v512", "--seed", "1",
               "--out", str(tmp_path / "ck"))[0] == 0
    code, out, _ = run(capsys, "generate", "--checkpoint", str(tmp_path / "ck"),
                       "--prompt-ids", *map(str, prompt), "--tokens", "6", "--json")
    assert code == 0 and json.loads(out)["generated_ids"] == expect


@pytest.mark.parametrize("nodes", [1, 2, 4])
def test_generate_json_ref(capsys, nodes):
    """The integer engine on N nodes: the tokens of IntGPT2 stepped directly, whatever N."""
    from refmodel.int_model import IntGPT2
    from refmodel.quantize import quantize

    prompt, n = [5, 17, 300, 2], 6
    code, out, err = run(capsys, "generate", "--engine", "ref", "--config", "tiny-v512", "--seed", "1",
                         "--prompt-ids", *map(str, prompt), "--tokens", str(n), "--nodes", str(nodes),
                         "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["engine"] == "ref" and result["nodes"] == nodes and result["prompt_ids"] == prompt
    config = get_config("tiny-v512")
    model = IntGPT2(quantize(config, random_weights(config, 1)))
    ids = list(prompt)
    for pos in range(len(prompt) + n - 1):
        tok = model.step(ids[pos], pos)
        if pos >= len(prompt) - 1:
            ids.append(tok)
    assert result["generated_ids"] == ids[len(prompt):]
    assert result["text"] == decode(ids[len(prompt):])


def test_generate_text_prompt_readable(capsys):
    code, out, err = run(capsys, "generate", "--config", "tiny", "--prompt", "Hello, my name is",
                         "--tokens", "3")
    assert code == 0 and err == ""
    config = get_config("tiny")
    expect = greedy_by_recompute(config, random_weights(config, 0), encode("Hello, my name is"), 3)
    assert str(expect) in out and repr(decode(expect)) in out
    assert "[15496, 11, 616, 1438, 318]" in out and "step ms" in out


def test_generate_fills_the_context_exactly(capsys):
    config = get_config("tiny-v512")
    # prompt + tokens - 1 positions are fed: 60 + 5 - 1 = 64 = n_positions is allowed, one more is not.
    ids = [str(i % 512) for i in range(60)]
    assert run(capsys, "generate", "--config", "tiny-v512", "--prompt-ids", *ids, "--tokens", "5",
               "--json")[0] == 0
    code, _, err = run(capsys, "generate", "--config", "tiny-v512", "--prompt-ids", *ids,
                       "--tokens", "6")
    assert code == 2 and "65 positions" in err and str(config.n_positions) in err


@pytest.mark.parametrize("argv, message", [
    (["generate", "--config", "gpt5", "--prompt", "x"], "unknown config 'gpt5'"),
    (["generate", "--checkpoint", "NOWHERE", "--prompt", "x"], "not a checkpoint folder"),
    (["generate", "--config", "tiny-v512", "--prompt-ids", *(["1"] * 65)],
     "the prompt has 65 tokens, longer than the context of 64"),
    (["generate", "--config", "tiny-v512", "--prompt", "Hello"], "outside this model's vocabulary"),
    (["generate", "--config", "tiny-v512", "--prompt-ids", "512"], "prompt token id 512"),
    (["generate", "--config", "tiny-v512", "--prompt", ""], "the prompt is empty"),
    (["generate", "--config", "tiny-v512", "--prompt-ids", "1", "--tokens", "0"], "--tokens must be"),
    (["generate", "--engine", "rtl", "--config", "tiny-v512", "--prompt-ids", "1", "--nodes", "3"], "1, 2, 4 or 8"),
    (["generate", "--engine", "float", "--nodes", "2", "--config", "tiny-v512", "--prompt-ids", "1"],
     "--nodes applies to the ref and rtl engines"),
    (["generate", "--checkpoint", "x", "--seed", "1", "--prompt-ids", "1"], "--seed applies to --config"),
    (["generate", "--engine", "ref", "--config", "tiny-v512", "--prompt-ids", "1", "--dump", "d"],
     "--dump needs --engine rtl"),
    (["detokenize", "50257"], "outside the GPT-2 vocabulary"),
    (["make-checkpoint", "--config", "huge", "--out", "x"], "unknown config 'huge'"),
])
def test_errors_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_checkpoint_error(capsys, tmp_path):
    (tmp_path / "config.json").write_text("{")
    code, _, err = run(capsys, "generate", "--checkpoint", str(tmp_path), "--prompt-ids", "1")
    assert code == 2 and "config.json: malformed JSON" in err and err.count("\n") == 1


def test_ref_engine_missing_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "refmodel.int_model", None)   # import fails as if absent
    code, _, err = run(capsys, "generate", "--engine", "ref", "--config", "tiny-v512",
                       "--prompt-ids", "1")
    assert code == 2 and "integer reference engine is not available" in err


def test_usage_errors_exit_2(capsys):
    for argv in (["generate", "--config", "tiny", "--checkpoint", "x", "--prompt", "a"],
                 ["generate", "--engine", "gpu", "--config", "tiny", "--prompt", "a"],
                 ["detokenize", "abc"], []):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2
    capsys.readouterr()


def test_console_script_subprocess(tmp_path):
    """The installed `looplynx` command (or `python -m refmodel.cli`): exit codes and streams."""
    script = Path(sys.executable).parent / "looplynx"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "refmodel.cli"]
    ok = subprocess.run(cmd + ["generate", "--config", "tiny-v512", "--prompt-ids", "1", "2",
                               "--tokens", "2", "--json"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and len(json.loads(ok.stdout)["generated_ids"]) == 2
    bad = subprocess.run(cmd + ["generate", "--config", "nope", "--prompt-ids", "1"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "unknown config 'nope'" in bad.stderr


def test_demo_without_simulator(capsys):
    """The demo's reference part (its simulated-accelerator part is the system test's engine)."""
    code, out, err = run(capsys, "demo", "--no-rtl")
    assert code == 0
    config = get_config("tiny")
    expect = greedy_by_recompute(config, random_weights(config, 0), encode("Hello, my name is"), 8)
    float_line = next(line for line in out.splitlines() if line.startswith("float"))
    assert str(expect) in float_line
    ref_line = next(line for line in out.splitlines() if line.startswith("ref"))
    ref_ids = json.loads(ref_line[ref_line.rindex("["): ref_line.rindex("]") + 1])
    n_same = sum(a == b for a, b in zip(ref_ids, expect))
    assert f"agree on {n_same}/8 greedy tokens" in out
