"""The compiler: a quantised model and a node count -> per-node programs and memory images.

Every node has `num_pe` memory channels (one HBM pseudo-channel each, its own address space from 0),
an activation buffer of `abuf_beats` 256-bit beats, and runs the same program structure on its own
slices of the model (refmodel.partition, as refmodel.parallel models it). The layout:

- matrices (c_attn rows of the node's heads, attention c_proj, c_fc, mlp c_proj rows of the node's
  row range, and the LM head's vocabulary rows) in the MP stream format of `refmodel.mp_layout`,
  port p's stream on channel p, every port's stream at the same address;
- the KV cache of the node's heads in the `refmodel.kv_layout` format over all channels;
- on channel 0: the embedding tables (raw int8 rows of wte and wpe, d bytes each, and their 32-bit
  requantisation words), the LayerNorm parameters (one 64-bit word per element, `ln_word`), and the
  program (256-bit instructions, `refmodel.isa`), last, at `prog_base`.

A model that does not fit is refused with a `CompileError` naming the limit it exceeds.
The program's semantics are executed by `refmodel.iss` (the instruction-set simulator), which is
checked against the integer reference; the RTL is checked against both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import intops as io
from . import isa
from .kv_layout import KvLayout
from .mp_layout import MAX_ROWS, pack_matrix, rq_word
from .parallel import ROW_ALIGN
from .partition import check_nodes, split_heads, split_range
from .quantize import QLayerNorm, QLinear, QModel

BEAT = 32  # bytes per 256-bit beat


class CompileError(ValueError):
    """The model does not fit the hardware (the message names the limit) or cannot be compiled."""


@dataclass(frozen=True)
class HwConfig:
    """The hardware parameters a program is compiled for (they mirror the node top's parameters)."""

    num_pe: int = 8  # MP processing elements = memory channels per node
    lanes: int = 32  # int8 lanes per PE = bytes per beat
    abuf_beats: int = 512  # activation buffer, 256-bit beats
    max_ctx: int = 1024  # KV cache rows per head (ll_mha MaxCtx)
    max_heads: int = 16  # heads per node (ll_mha Heads)
    head_dim: int = 64  # ll_mha HeadDim
    max_d: int = 4096  # LNR MaxD and MP d_in limit
    channel_bytes: int = 256 << 20  # one HBM pseudo-channel
    # byte address at which node n's channel images start (every channel of the node), mem_base[n], 0
    # for a node not listed: every address in its program is relocated by it (32-bit AXI addresses)
    mem_base: tuple = ()
    # mem_alias[n] != 0: a second copy of node n's images is loaded at that byte address and successive
    # allocations (matrices, tables, KV layers, program) alternate between the two copies, so the
    # addresses each unit issues swing between both (address-path coverage; the data are identical)
    mem_alias: tuple = ()

    def __post_init__(self):
        if self.lanes * 8 != 256:
            raise CompileError("the node's memory and buffer beats are 256 bits: lanes must be 32")
        for b in (*self.mem_base, *self.mem_alias):
            if b % 4096 or b < 0 or b + self.channel_bytes > 1 << 32:
                raise CompileError(f"memory base {b:#x}: a multiple of 4 KiB with the channel below 4 GiB")

    def base_of(self, node: int) -> int:
        return self.mem_base[node] if node < len(self.mem_base) else 0

    def alias_of(self, node: int) -> int:
        return self.mem_alias[node] if node < len(self.mem_alias) else 0


def ln_word(ln: QLayerNorm) -> np.ndarray:
    """LayerNorm parameters, one 64-bit word per element: bits 63..48 g (int16), 47..0 b (int48)."""
    g = np.asarray(ln.g, dtype=np.int64)
    b = np.asarray(ln.b, dtype=np.int64)
    if np.any(np.abs(g) >= 1 << 15) or np.any(np.abs(b) >= 1 << 47):
        raise CompileError("LayerNorm parameter outside int16 gamma / int48 beta")
    return (((g & 0xFFFF) << 48) | (b & ((1 << 48) - 1))).astype(np.uint64)


def embed_table(rows_int8: np.ndarray, m: np.ndarray, s: np.ndarray) -> bytes:
    """An embedding table as ll_embed reads it: the int8 rows, then one rq word per row (docs/lnr.md)."""
    return rows_int8.astype(np.int8).tobytes() + rq_word(m, s).astype("<u4").tobytes()


@dataclass
class Abuf:
    """Activation-buffer regions (beat addresses) shared by every node's program."""

    x8: int  # int8 LayerNorm output (input of c_attn, c_fc, LM head): d/32 beats
    qkv: int  # this node's q, k, v (int8): 3 * heads * dh / 32 beats
    ctx: int  # gathered attention context (int8): d/32 beats
    hid: int  # gathered GELU output (int8): d_ff/32 beats
    delta: int  # gathered wide vector (embedding, projections): d/8 beats
    total: int


@dataclass
class NodeImage:
    node: int
    channels: list[bytearray]
    program: list  # isa.Instr
    prog_base: int  # channel-0 byte address of the program
    heads: tuple[int, int]  # [h0, h1)
    vocab: tuple[int, int]  # [v0, v1)
    kv: KvLayout | None
    kv_base: list[int]  # per layer
    symbols: dict = field(default_factory=dict)
    mem_base: int = 0  # byte address of channels[p][0] (HwConfig.mem_base)
    mem_alias: int = 0  # != 0: byte address of a second copy of the channels (HwConfig.mem_alias)

    def offset(self, addr: int) -> int:
        """The index in `channels[p]` of bus address `addr` (in either copy: the one with the highest
        base not above `addr`)."""
        bases = [b for b in (self.mem_base, self.mem_alias or self.mem_base) if b <= addr]
        return addr - max(bases) if bases else addr - self.mem_base

    def program_bytes(self) -> bytes:
        return isa.assemble(self.program)


@dataclass
class SystemImage:
    config: object
    hw: HwConfig
    nodes: list[NodeImage]
    abuf: Abuf


class _Channels:
    """Bump allocation over the channels of one node; `alloc_all` keeps every channel in step.
    Returned addresses are bus addresses: the offset in the image plus `base`."""

    def __init__(self, n: int, limit: int, base: int = 0, alias: int = 0):
        self.img = [bytearray() for _ in range(n)]
        self.limit = limit
        self.base = base
        self.alias = alias
        self.count = 0

    def _bus(self, addr: int) -> int:
        self.count += 1
        return (self.alias if self.alias and self.count % 2 == 0 else self.base) + addr

    def _grow(self, ch: int, size: int) -> None:
        if size > self.limit:
            raise CompileError(f"memory channel {ch} needs {size} bytes, a channel has {self.limit}")
        if len(self.img[ch]) < size:
            self.img[ch].extend(bytes(size - len(self.img[ch])))

    def put(self, ch: int, data: bytes, align: int = BEAT) -> int:
        addr = -(-len(self.img[ch]) // align) * align
        self._grow(ch, addr + len(data))
        self.img[ch][addr : addr + len(data)] = data
        return self._bus(addr)

    def put_all(self, datas: list[bytes], align: int = BEAT) -> int:
        """Place datas[p] on channel p at one common address."""
        addr = -(-max(len(i) for i in self.img) // align) * align
        for ch, d in enumerate(datas):
            self._grow(ch, addr + len(d))
            self.img[ch][addr : addr + len(d)] = d
        return self._bus(addr)

    def reserve_all(self, size: int, align: int = BEAT) -> int:
        return self.put_all([bytes(size)] * len(self.img), align)


def check_fit(cfg, hw: HwConfig, nodes: int) -> tuple[Abuf, list]:
    d, dff, dh = cfg.n_embd, cfg.d_ff, cfg.d_head
    if d % BEAT or dff % BEAT:
        raise CompileError(f"n_embd ({d}) and d_ff ({dff}) must be multiples of {BEAT} (one beat)")
    if d > hw.max_d or dff > hw.max_d:
        raise CompileError(f"matrix input length {max(d, dff)} exceeds the MP/LNR limit of {hw.max_d}")
    if dh != hw.head_dim:
        raise CompileError(f"head dimension {dh} differs from the attention kernel's HeadDim {hw.head_dim}")
    if cfg.n_positions > hw.max_ctx:
        raise CompileError(f"context {cfg.n_positions} exceeds the KV cache of {hw.max_ctx} positions")
    heads = split_heads(cfg.n_head, nodes)
    nh_max = max(h1 - h0 for h0, h1 in heads)
    if nh_max > hw.max_heads:
        raise CompileError(f"{nh_max} heads per node exceed the attention kernel's {hw.max_heads}")
    rows_v = max(b - a for a, b in split_range(cfg.vocab_size, nodes, ROW_ALIGN))
    if rows_v > MAX_ROWS:
        raise CompileError(f"{rows_v} LM-head rows per node exceed the MP row limit {MAX_ROWS}")
    x8 = 0
    qkv = x8 + d // BEAT
    ctx = qkv + 3 * nh_max * dh // BEAT
    hid = ctx + d // BEAT
    delta = hid + dff // BEAT
    total = delta + d * 4 // BEAT
    if total > hw.abuf_beats:
        raise CompileError(f"activation buffer: the model needs {total} beats, the buffer has {hw.abuf_beats}")
    return Abuf(x8, qkv, ctx, hid, delta, total), heads


def _matrix(ch: _Channels, lin: QLinear, hw: HwConfig) -> tuple[int, int, int]:
    """Place one matrix; returns (address, rows, din_beats)."""
    images, desc = pack_matrix(lin.w, lin.bias.astype(np.int32), rq_word(lin.m, lin.s), hw.num_pe, hw.lanes)
    return ch.put_all(images), desc.rows, desc.din_beats


U = isa.Unit


def _bits(*units) -> int:
    m = 0
    for u in units:
        m |= 1 << int(u)
    return m


def compile_model(qm: QModel, nodes: int, hw: HwConfig | None = None) -> SystemImage:
    """Compile `qm` for `nodes` nodes. Raises CompileError if it does not fit."""
    hw = hw or HwConfig()
    check_nodes(nodes)
    cfg = qm.config
    d, dff, dh, L = cfg.n_embd, cfg.d_ff, cfg.d_head, cfg.n_layer
    ab, heads = check_fit(cfg, hw, nodes)
    r_d = split_range(d, nodes, ROW_ALIGN)
    r_ff = split_range(dff, nodes, ROW_ALIGN)
    r_v = split_range(cfg.vocab_size, nodes, ROW_ALIGN)
    out = []
    for n in range(nodes):
        ch = _Channels(hw.num_pe, hw.channel_bytes, hw.base_of(n), hw.alias_of(n))
        sym = {}
        # embedding tables and LayerNorm parameters on channel 0
        sym["wte"] = ch.put(0, embed_table(qm.wte, qm.wte_m, qm.wte_s))
        sym["wpe"] = ch.put(0, embed_table(qm.wpe, qm.wpe_m, qm.wpe_s))
        ln_addr = []
        for ly in qm.layers:
            ln_addr.append((ch.put(0, ln_word(ly.ln1).astype("<u8").tobytes()),
                            ch.put(0, ln_word(ly.ln2).astype("<u8").tobytes())))
        sym["ln_f"] = ch.put(0, ln_word(qm.ln_f).astype("<u8").tobytes())
        # matrices
        h0, h1 = heads[n]
        nh = h1 - h0
        # c_attn rows in the attention kernel's input order: per head, its q rows, k rows, v rows
        qkv_rows = np.array([part * d + h * dh + j for h in range(h0, h1) for part in range(3) for j in range(dh)],
                            dtype=np.int64)
        mats = []
        for ly in qm.layers:
            m = {}
            if nh:
                m["qkv"] = _matrix(ch, ly.qkv.rows_slice(qkv_rows), hw)
            for name, lin, rr in (("proj", ly.proj, r_d[n]), ("fc1", ly.fc1, r_ff[n]), ("fc2", ly.fc2, r_d[n])):
                m[name] = _matrix(ch, lin.rows_slice(slice(*rr)), hw) if rr[1] > rr[0] else None
            mats.append(m)
        head = _matrix(ch, qm.head.rows_slice(slice(*r_v[n])), hw) if r_v[n][1] > r_v[n][0] else None
        # KV cache
        kv, kv_base = None, []
        if nh:
            kv = KvLayout(head_dim=dh, heads=nh, max_ctx=hw.max_ctx, ports=hw.num_pe)
            if ch.alias:  # one reservation per layer: the layers alternate between the two copies
                kv_base = [ch.reserve_all(kv.layer_bytes, align=max(BEAT, dh)) for _ in range(L)]
            else:
                base = ch.reserve_all(kv.layer_bytes * L, align=max(BEAT, dh))
                kv_base = [kv.layer_base(li, base) for li in range(L)]

        prog = _program(qm, n, nodes, ab, sym, ln_addr, mats, head, kv_base, nh, r_d[n], r_ff[n], r_v[n], hw)
        prog_bytes = isa.assemble(prog)
        prog_base = ch.put(0, prog_bytes)
        out.append(NodeImage(n, ch.img, prog, prog_base, (h0, h1), r_v[n], kv, kv_base, sym, ch.base, ch.alias))
    return SystemImage(cfg, hw, out, ab)


def _program(qm, n, nodes, ab: Abuf, sym, ln_addr, mats, head, kv_base, nh, rd, rff, rv, hw) -> list:
    cfg = qm.config
    d, dff, dh = cfg.n_embd, cfg.d_ff, cfg.d_head
    P: list = []

    def gather(dst: int, vec_beats: int, start: int, length: int, wait=0):
        P.append(isa.Ring(op=isa.RingOp.GATHER, layout=isa.RingLayout.CONTIGUOUS, dst_addr=dst,
                          vec_beats=vec_beats, start=start, len=length, wait_issue=wait))

    def mp(mat, mode, act, out_sel, out_addr=0, gelu=(0, 0), wait_issue=0, wait_data=0):
        addr, rows, din_beats = mat
        P.append(isa.Mp(w_base=addr, port_stride=0, rows=rows, din_beats=din_beats, mode=mode, out_sel=out_sel,
                        gelu_m=gelu[0], gelu_s=gelu[1], act_addr=act, out_addr=out_addr,
                        wait_issue=wait_issue, wait_data=wait_data))

    # embedding -> delta region; load it as the residual and normalise with ln_1 of layer 0
    P.append(isa.Embed(wte_base=sym["wte"], wte_rows=cfg.vocab_size, wpe_base=sym["wpe"],
                       wpe_rows=cfg.n_positions, d=d, out_addr=ab.delta))
    P.append(isa.Lnr(mode=isa.LnrMode.LOAD_LN, shift=qm.layers[0].ln1.s, d=d, param_base=ln_addr[0][0],
                     delta_addr=ab.delta, out_addr=ab.x8, wait_issue=_bits(U.EMBED)))
    for li, ly in enumerate(qm.layers):
        m = mats[li]
        # attention: c_attn rows of the node's heads, then the fused attention, gathered by the ring
        if nh:
            mp(m["qkv"], isa.MpMode.INT8, ab.x8, isa.OutSel.BUF, ab.qkv, wait_data=_bits(U.LNR))
        h0 = split_heads(cfg.n_head, nodes)[n][0]
        gather(ab.ctx, d // BEAT, h0 * dh // BEAT, nh * dh // BEAT, wait=_bits(U.RING))
        if nh:
            P.append(isa.Mha(kv_base=kv_base[li], sm_m=ly.sm_m, sm_s=ly.sm_s, out_m=ly.ctx_m, out_s=ly.ctx_s,
                             heads=nh, out_sel=isa.OutSel.RING, qkv_addr=ab.qkv, ctx_addr=ab.ctx,
                             wait_issue=_bits(U.MP)))
        # attention output projection (wide), gathered into the delta region. The MP op is issued
        # first (it streams weights while the context gather finishes: wait_data), the gather that
        # takes its output next (a gather waits for the previous ring op to complete: wait_issue).
        if m["proj"]:
            mp(m["proj"], isa.MpMode.WIDE, ab.ctx, isa.OutSel.RING, wait_data=_bits(U.RING))
        gather(ab.delta, d * 4 // BEAT, rd[0] * 4 // BEAT, (rd[1] - rd[0]) * 4 // BEAT, wait=_bits(U.RING))
        P.append(isa.Lnr(mode=isa.LnrMode.ADD_LN, shift=ly.ln2.s, d=d, param_base=ln_addr[li][1],
                         delta_addr=ab.delta, out_addr=ab.x8, wait_issue=_bits(U.RING)))
        # MLP: c_fc with GELU (gathered into hid), then mlp c_proj (wide, gathered into delta)
        if m["fc1"]:
            mp(m["fc1"], isa.MpMode.GELU, ab.x8, isa.OutSel.RING, gelu=(ly.fc1.gelu_m, ly.fc1.gelu_s),
               wait_data=_bits(U.LNR))
        gather(ab.hid, dff // BEAT, rff[0] // BEAT, (rff[1] - rff[0]) // BEAT, wait=_bits(U.RING))
        if m["fc2"]:
            mp(m["fc2"], isa.MpMode.WIDE, ab.hid, isa.OutSel.RING, wait_data=_bits(U.RING))
        gather(ab.delta, d * 4 // BEAT, rd[0] * 4 // BEAT, (rd[1] - rd[0]) * 4 // BEAT, wait=_bits(U.RING))
        nxt = qm.layers[li + 1].ln1 if li + 1 < len(qm.layers) else qm.ln_f
        nxt_addr = ln_addr[li + 1][0] if li + 1 < len(qm.layers) else sym["ln_f"]
        P.append(isa.Lnr(mode=isa.LnrMode.ADD_LN, shift=nxt.s, d=d, param_base=nxt_addr,
                         delta_addr=ab.delta, out_addr=ab.x8, wait_issue=_bits(U.RING)))
    # LM head over this node's vocabulary rows, local argmax, ring argmax reduction
    P.append(isa.Ring(op=isa.RingOp.ARGMAX, wait_issue=_bits(U.RING)))
    if head:
        P.append(isa.Argmax(index_base=rv[0], count=rv[1] - rv[0]))
        mp(head, isa.MpMode.WIDE, ab.x8, isa.OutSel.ARGMAX, wait_data=_bits(U.LNR))
    P.append(isa.End())
    return P

