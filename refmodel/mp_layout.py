"""Memory layout of one MP matrix (docs/mp.md, "Memory layout"): the packer and its inverse.

The RTL (rtl/mp/ll_mp.sv) reads exactly what `pack_matrix` writes:

* Output row ``j`` belongs to port/PE ``j % num_pe`` as its local row ``j // num_pe``. Every port holds
  ``rows_pp = ceil(rows / num_pe)`` local rows; rows that do not exist (``j >= rows``) are zero rows
  whose results the kernel masks out.
* A row is ``din_beats = ceil(d_in / lanes)`` beats of ``lanes`` int8 weights (byte ``l`` of beat
  ``k`` is ``W[j, k*lanes + l]``), zero-padded past ``d_in``: any d_in from 1 to 4096 works.
* Per-row parameters travel in the same stream: before every group of ``g = lanes // 8`` local rows
  comes one parameter beat with, for each row ``r`` of the group, 8 bytes at offset ``8*r``: the int32
  bias (little-endian) then the 32-bit requantisation word ``m | s << 16`` (``ll_pkg::rq_word_t``).
  The last group may be shorter; its unused parameter slots are zero.
* A port's image is the contiguous sequence of its beats from the port's base address:
  ``beats_per_port = ceil(rows_pp / g) + rows_pp * din_beats``.

Weight bytes per port per matrix: rows_pp * din_beats beats; parameter overhead: one beat per g rows
(1/(g*din_beats+1) of the stream: 0.8 % for d_in = 1024 at lanes = 32).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from refmodel import intops

MAX_D_IN = 4096
MAX_ROWS = (1 << 16) - 1  # descriptor field rows is 16 bits (the LM head's 50257 rows fit)


@dataclass(frozen=True)
class MpDescriptor:
    """What the kernel needs to know about a packed matrix (the descriptor fields of docs/mp.md)."""

    rows: int
    d_in: int
    num_pe: int
    lanes: int

    @property
    def din_beats(self) -> int:
        return -(-self.d_in // self.lanes)

    @property
    def rows_pp(self) -> int:
        return -(-self.rows // self.num_pe)

    @property
    def group(self) -> int:
        return self.lanes // 8

    @property
    def groups(self) -> int:
        return -(-self.rows_pp // self.group)

    @property
    def beats_per_port(self) -> int:
        return self.groups + self.rows_pp * self.din_beats

    @property
    def bytes_per_port(self) -> int:
        return self.beats_per_port * self.lanes


def check_config(num_pe: int, lanes: int) -> None:
    if num_pe < 1 or num_pe & (num_pe - 1):
        raise ValueError(f"num_pe must be a power of two, got {num_pe}")
    if lanes < 8 or lanes > 128 or lanes & (lanes - 1):
        raise ValueError(f"lanes must be a power of two in 8..128, got {lanes}")


def rq_word(m, s) -> np.ndarray:
    """Pack requantisation (m, s) pairs into 32-bit words ``m | s << 16`` (ll_pkg::rq_word_t)."""
    m = np.asarray(m, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    if np.any(m < 0) or np.any(m > intops.M_MAX):
        raise ValueError("requantisation multiplier out of range 0..2**15-1")
    if np.any(s < 0) or np.any(s > intops.S_MAX):
        raise ValueError("requantisation shift out of range 0..63")
    return (m | (s << 16)).astype(np.uint32)


def rq_split(words) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`rq_word`: (m, s) as int64 arrays."""
    w = np.asarray(words, dtype=np.int64)
    return w & intops.M_MAX, (w >> 16) & intops.S_MAX


def pack_matrix(w: np.ndarray, bias: np.ndarray, rq_words: np.ndarray, num_pe: int,
                lanes: int) -> tuple[list[bytes], MpDescriptor]:
    """Per-port byte images of one matrix and its descriptor.

    Args:
        w: int8 weights [rows, d_in] (row j = output channel j).
        bias: int32 [rows], |bias| <= 2**30.
        rq_words: uint32 [rows] from :func:`rq_word`.
    """
    check_config(num_pe, lanes)
    if w.dtype != np.int8 or w.ndim != 2:
        raise TypeError("pack_matrix takes a 2-D int8 weight matrix")
    rows, d_in = w.shape
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be in 1..{MAX_ROWS}, got {rows}")
    if not 1 <= d_in <= MAX_D_IN:
        raise ValueError(f"d_in must be in 1..{MAX_D_IN}, got {d_in}")
    bias = np.asarray(bias)
    rq_words = np.asarray(rq_words)
    if bias.shape != (rows,) or rq_words.shape != (rows,):
        raise ValueError("bias and rq_words need one entry per row")
    if np.any(np.abs(bias.astype(np.int64)) > intops.BIAS_LIMIT):
        raise ValueError("|bias| must be <= 2**30")
    rq_split(rq_words)  # range is implied by the field widths; reserved bits must be zero:
    if np.any(rq_words.astype(np.int64) & ~np.int64(intops.M_MAX | (intops.S_MAX << 16))):
        raise ValueError("rq word has reserved bits set")

    desc = MpDescriptor(rows=rows, d_in=d_in, num_pe=num_pe, lanes=lanes)
    g, rpp, db, ng = desc.group, desc.rows_pp, desc.din_beats, desc.groups
    wpad = np.zeros((ng * g * num_pe, db * lanes), dtype=np.uint8)
    wpad[:rows, :d_in] = w.view(np.uint8)
    prm = np.zeros((ng * g * num_pe, 8), dtype=np.uint8)
    prm[:rows, 0:4] = bias.astype("<i4").view(np.uint8).reshape(rows, 4)
    prm[:rows, 4:8] = rq_words.astype("<u4").view(np.uint8).reshape(rows, 4)

    images = []
    for p in range(num_pe):
        wp = wpad[p::num_pe].reshape(ng, g * db, lanes)  # local rows of this port, by group
        pp = prm[p::num_pe].reshape(ng, 1, lanes)  # g rows x 8 bytes = one beat per group
        stream = np.concatenate([pp, wp], axis=1).reshape(-1, lanes)[: desc.beats_per_port]
        images.append(stream.tobytes())
    return images, desc


def unpack_matrix(images: list[bytes], desc: MpDescriptor
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`pack_matrix`: (w int8 [rows, d_in], bias int32, rq_words uint32)."""
    g, db, ng, lanes = desc.group, desc.din_beats, desc.groups, desc.lanes
    n = ng * g * desc.num_pe
    wpad = np.zeros((n, db * lanes), dtype=np.uint8)
    prm = np.zeros((n, 8), dtype=np.uint8)
    for p, img in enumerate(images):
        if len(img) != desc.bytes_per_port:
            raise ValueError(f"port {p} image has {len(img)} bytes, expected {desc.bytes_per_port}")
        beats = np.frombuffer(img, dtype=np.uint8).reshape(-1, lanes)
        full = np.zeros((ng * (1 + g * db), lanes), dtype=np.uint8)
        full[: len(beats)] = beats
        full = full.reshape(ng, 1 + g * db, lanes)
        prm[p::desc.num_pe] = full[:, 0, :].reshape(ng * g, 8)
        wpad[p::desc.num_pe] = full[:, 1:, :].reshape(ng * g, db * lanes)
    w = wpad[: desc.rows, : desc.d_in].view(np.int8).copy()
    bias = prm[: desc.rows, 0:4].copy().view("<i4").reshape(-1).astype(np.int32)
    rq = prm[: desc.rows, 4:8].copy().view("<u4").reshape(-1).astype(np.uint32)
    return w, bias, rq


def pack_activation(x: np.ndarray, lanes: int) -> bytes:
    """The int8 input vector as activation-buffer beats (zero-padded to whole beats)."""
    if x.dtype != np.int8 or x.ndim != 1:
        raise TypeError("pack_activation takes a 1-D int8 vector")
    nb = -(-x.shape[0] // lanes)
    buf = np.zeros(nb * lanes, dtype=np.uint8)
    buf[: x.shape[0]] = x.view(np.uint8)
    return buf.tobytes()


def reference(w: np.ndarray, x: np.ndarray, bias: np.ndarray, rq_words: np.ndarray, mode: int,
              gelu_m: int = 0, gelu_s: int = 0) -> np.ndarray:
    """The linear layer the kernel computes, from the reference's integer ops (int64 [rows])."""
    m, s = rq_split(rq_words)
    acc = intops.matvec_acc(w, x, bias.astype(np.int64))
    return np.asarray(intops.mp_epilogue(acc, mode, m, s, gelu_m, gelu_s), dtype=np.int64)
