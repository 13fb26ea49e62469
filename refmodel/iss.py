"""Instruction-set simulator: executes the compiler's programs on the compiler's memory images.

The functional meaning of every instruction (docs/isa.md), written over the same bytes the hardware
reads: per-node memory channels, the activation buffer (ABUF, 256-bit beats), the LayerNorm kernel's
residual register file, token/position registers. It ignores timing and the wait masks: a node
blocks only where a ring collective it has contributed to is still incomplete, which is what the
wait masks enforce in hardware. Used to prove that compiler + ISA semantics reproduce the integer
reference (`refmodel/tests/test_compiler.py`), and as the golden model of the node-level RTL tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import intops as io
from . import isa
from .compiler import BEAT, SystemImage
from .mp_layout import MpDescriptor, rq_split, unpack_matrix


class IssError(RuntimeError):
    pass


@dataclass(frozen=True)
class AbufWrite:
    """One activation-buffer write of the ISS: the instruction (index in the node's program) and unit
    that produced it, the first beat address and the bytes (whole beats)."""

    pc: int
    unit: int  # isa.Unit
    beat: int
    data: bytes


@dataclass
class _Collective:
    kind: int  # isa.RingOp
    dst: int = 0
    vec_beats: int = 0
    start: int = 0
    length: int = 0
    data: bytearray = field(default_factory=bytearray)
    pair: tuple[int, int] | None = None
    pc: int = 0  # index of the RING instruction in the node's program

    @property
    def contributed(self) -> bool:
        if self.kind == isa.RingOp.GATHER:
            return len(self.data) == self.length * BEAT
        return self.pair is not None


class _Node:
    def __init__(self, sysimg: SystemImage, idx: int):
        img = sysimg.nodes[idx]
        self.idx = idx
        self.img = img
        self.cfg = sysimg.config
        self.hw = sysimg.hw
        self.ch = [bytearray(c) for c in img.channels]
        self.abuf = bytearray(sysimg.hw.abuf_beats * BEAT)
        self.res = np.zeros(self.cfg.n_embd, dtype=np.int64)
        self.token = 0
        self.pos = 0
        self.token_out = None
        self.pc = 0
        self.coll: _Collective | None = None
        self.argmax_cfg: tuple[int, int] | None = None
        self.outbox = bytearray()  # own beats produced for the ring, not yet taken by a gather
        self.pair_box: tuple[int, int] | None = None
        self.done = False
        # activation-buffer writes of the current step, (pc, unit, beat, bytes), when recording
        self.log: list[AbufWrite] | None = None

    # ---- buffer helpers
    def abuf_read(self, beat: int, nbytes: int) -> bytes:
        a = beat * BEAT
        if a + nbytes > len(self.abuf):
            raise IssError(f"node {self.idx}: activation buffer read beyond its {len(self.abuf) // BEAT} beats")
        return bytes(self.abuf[a : a + nbytes])

    def abuf_write(self, beat: int, data: bytes, pc: int | None = None, unit: int | None = None) -> None:
        a = beat * BEAT
        if a + len(data) > len(self.abuf):
            raise IssError(f"node {self.idx}: activation buffer write beyond its {len(self.abuf) // BEAT} beats")
        self.abuf[a : a + len(data)] = data
        if self.log is not None:
            self.log.append(AbufWrite(self.pc if pc is None else pc, int(unit), beat, bytes(data)))

    def mem(self, ch: int, addr: int, nbytes: int) -> bytes:
        off = self.img.offset(addr)  # the image starts at the node's memory base
        if off < 0 or off + nbytes > len(self.ch[ch]):
            raise IssError(f"node {self.idx}: read of channel {ch} at {addr:#x} outside its image")
        return bytes(self.ch[ch][off : off + nbytes])

    def feed(self) -> None:
        """Move waiting own beats / the argmax pair into the open ring operation."""
        c = self.coll
        if c is None:
            return
        if c.kind == isa.RingOp.GATHER:
            take = min(len(self.outbox), c.length * BEAT - len(c.data))
            c.data.extend(self.outbox[:take])
            del self.outbox[:take]
        elif self.pair_box is not None:
            c.pair, self.pair_box = self.pair_box, None

    # ---- output routing
    def route(self, sel: int, values: np.ndarray, wide: bool, out_addr: int, unit: int) -> None:
        data = (values.astype("<i4") if wide else values.astype(np.int8)).tobytes()
        pad = (-len(data)) % BEAT
        if sel == isa.OutSel.BUF:
            self.abuf_write(out_addr, data + bytes(pad), unit=unit)
        elif sel == isa.OutSel.RING:
            # the router takes the node's own beats once a gather is open (until then they wait)
            self.outbox.extend(data + bytes(pad))
            self.feed()
        elif sel == isa.OutSel.ARGMAX:
            if self.argmax_cfg is None:
                raise IssError(f"node {self.idx}: output to the argmax unit with no ARGMAX op")
            base, count = self.argmax_cfg
            if len(values) != count:
                raise IssError(f"node {self.idx}: argmax expected {count} logits, got {len(values)}")
            val, i = io.argmax_int(values)
            self.argmax_cfg = None
            self.pair_box = (val, base + i)
            self.feed()
        else:
            raise IssError(f"node {self.idx}: illegal output selection {sel}")

    # ---- instructions
    def exec(self, ins) -> None:
        op = ins.OP
        d = self.cfg.n_embd
        if op == isa.Op.EMBED:
            if ins.d != d:
                raise IssError("EMBED d differs from the model width")
            if not (self.token < ins.wte_rows and self.pos < ins.wpe_rows):
                raise IssError(f"node {self.idx}: token or position outside the embedding tables")
            wte = np.frombuffer(self.mem(0, ins.wte_base + self.token * d, d), dtype=np.int8)
            wpe = np.frombuffer(self.mem(0, ins.wpe_base + self.pos * d, d), dtype=np.int8)
            rq_t = np.frombuffer(self.mem(0, ins.wte_base + ins.wte_rows * d + 4 * self.token, 4), dtype="<u4")
            rq_p = np.frombuffer(self.mem(0, ins.wpe_base + ins.wpe_rows * d + 4 * self.pos, 4), dtype="<u4")
            mt, st = rq_split(rq_t)
            mp_, sp = rq_split(rq_p)
            res = io.embed(wte, int(mt[0]), int(st[0]), wpe, int(mp_[0]), int(sp[0]))
            self.abuf_write(ins.out_addr, res.astype("<i4").tobytes(), unit=isa.Unit.EMBED)
        elif op == isa.Op.LNR:
            mode = isa.LnrMode(ins.mode)
            if mode in (isa.LnrMode.ADD_LN, isa.LnrMode.ADD, isa.LnrMode.LOAD_LN, isa.LnrMode.LOAD):
                delta = np.frombuffer(self.abuf_read(ins.delta_addr, 4 * ins.d), dtype="<i4").astype(np.int64)
                if mode in (isa.LnrMode.ADD_LN, isa.LnrMode.ADD):
                    self.res = io.residual_add(self.res, delta)
                else:
                    self.res = io.sat_res(delta)
            if mode in (isa.LnrMode.ADD_LN, isa.LnrMode.LOAD_LN, isa.LnrMode.LN):
                w = np.frombuffer(self.mem(0, ins.param_base, 8 * ins.d), dtype="<u8").astype(np.uint64)
                g = (w >> np.uint64(48)).astype(np.int64)
                g = np.where(g >= 1 << 15, g - (1 << 16), g)
                b = (w & np.uint64((1 << 48) - 1)).astype(np.int64)
                b = np.where(b >= 1 << 47, b - (1 << 48), b)
                y = io.layernorm_int(self.res, g, b, ins.shift)
                self.abuf_write(ins.out_addr, y.astype(np.int8).tobytes(), unit=isa.Unit.LNR)
        elif op == isa.Op.MP:
            desc = MpDescriptor(rows=ins.rows, d_in=ins.din_beats * BEAT, num_pe=self.hw.num_pe, lanes=self.hw.lanes)
            images = [self.mem(p, ins.w_base + p * ins.port_stride, desc.bytes_per_port) for p in range(self.hw.num_pe)]
            w, bias, rq = unpack_matrix(images, desc)
            x = np.frombuffer(self.abuf_read(ins.act_addr, ins.din_beats * BEAT), dtype=np.int8)
            m, s = rq_split(rq)
            y = io.mp_epilogue(io.matvec_acc(w, x, bias.astype(np.int64)), ins.mode, m, s, ins.gelu_m, ins.gelu_s)
            self.route(ins.out_sel, np.asarray(y), ins.mode == isa.MpMode.WIDE, ins.out_addr, isa.Unit.MP)
        elif op == isa.Op.MHA:
            kv = self.img.kv
            if kv is None or ins.heads != kv.heads:
                raise IssError(f"node {self.idx}: MHA heads {ins.heads} differ from the cache layout")
            nh, dh = ins.heads, kv.head_dim
            # per head: q, k, v rows of dh bytes (the c_attn row order the compiler chose)
            qkv = np.frombuffer(self.abuf_read(ins.qkv_addr, 3 * nh * dh), dtype=np.int8).reshape(nh, 3, dh)
            ctx = []
            for h in range(nh):
                for kind in (0, 1):
                    port, a = kv.addr(ins.kv_base, h, kind, self.pos)
                    a = self.img.offset(a)
                    self.ch[port][a : a + dh] = qkv[h, 1 + kind].tobytes()
                kk = np.zeros((self.pos + 1, dh), dtype=np.int8)
                vv = np.zeros_like(kk)
                for t in range(self.pos + 1):
                    for kind, dst in ((0, kk), (1, vv)):
                        port, a = kv.addr(ins.kv_base, h, kind, t)
                        dst[t] = np.frombuffer(self.mem(port, a, dh), dtype=np.int8)
                ctx.append(io.attention_head(qkv[h, 0], kk, vv, ins.sm_m, ins.sm_s, ins.out_m,
                                             ins.out_s))
            self.route(ins.out_sel, np.concatenate(ctx), False, ins.ctx_addr, isa.Unit.MHA)
        elif op == isa.Op.RING:
            if self.coll is not None:
                raise IssError(f"node {self.idx}: ring op issued while another is incomplete")
            if ins.op == isa.RingOp.GATHER:
                self.coll = _Collective(isa.RingOp.GATHER, ins.dst_addr, ins.vec_beats, ins.start, ins.len,
                                        pc=self.pc)
            elif ins.op == isa.RingOp.ARGMAX:
                self.coll = _Collective(isa.RingOp.ARGMAX, pc=self.pc)
            else:
                raise IssError(f"node {self.idx}: illegal ring op {ins.op}")
            self.feed()
        elif op == isa.Op.ARGMAX:
            self.argmax_cfg = (ins.index_base, ins.count)
        elif op in (isa.Op.NOP, isa.Op.SYNC):
            pass
        elif op == isa.Op.END:
            self.done = True
        else:
            raise IssError(f"node {self.idx}: opcode {op} not executable")


class SystemIss:
    """All nodes of a compiled system; `step(token, pos)` runs one token step, returns the next token.

    With `record`, every step also leaves `writes[node]`: the node's activation-buffer writes of that
    step in execution order (`AbufWrite`), the expected contents of the RTL's debug dump."""

    def __init__(self, sysimg: SystemImage, record: bool = False):
        self.sys = sysimg
        self.nodes = [_Node(sysimg, i) for i in range(len(sysimg.nodes))]
        self.programs = [isa.disassemble_to_instrs(n.program_bytes()) for n in sysimg.nodes]
        self.record = record
        self.writes: list[list[AbufWrite]] = [[] for _ in self.nodes]

    def _complete(self) -> bool:
        colls = [n.coll for n in self.nodes]
        if any(c is None or not c.contributed for c in colls):
            return False
        kinds = {c.kind for c in colls}
        if len(kinds) != 1:
            raise IssError("nodes disagree on the ring operation")
        if colls[0].kind == isa.RingOp.GATHER:
            vec = colls[0].vec_beats
            if any(c.vec_beats != vec for c in colls):
                raise IssError("nodes disagree on the gathered vector length")
            full = bytearray(vec * BEAT)
            covered = np.zeros(vec, dtype=np.int64)
            for c in colls:
                full[c.start * BEAT : (c.start + c.length) * BEAT] = c.data
                covered[c.start : c.start + c.length] += 1
            if np.any(covered != 1):
                raise IssError(f"gather slices do not cover the {vec}-beat vector exactly once")
            for n, c in zip(self.nodes, colls):
                n.abuf_write(c.dst, bytes(full), pc=c.pc, unit=isa.Unit.RING)
        else:
            best = colls[0].pair
            for c in colls[1:]:
                best = io.argmax_reduce(best, c.pair)
            for n in self.nodes:
                n.token_out = best
        for n in self.nodes:
            n.coll = None
        return True

    def step(self, token: int, pos: int) -> int:
        for n, prog in zip(self.nodes, self.programs):
            n.token, n.pos, n.pc, n.done, n.token_out = token, pos, 0, False, None
            n.log = [] if self.record else None
        self.writes = [n.log if n.log is not None else [] for n in self.nodes]
        while not all(n.done for n in self.nodes):
            progress = False
            for n, prog in zip(self.nodes, self.programs):
                while not n.done:
                    if n.coll is not None and n.coll.contributed:
                        break  # wait for the other nodes
                    if n.pc >= len(prog):
                        raise IssError(f"node {n.idx}: program ran past its end without END")
                    ins = prog[n.pc]
                    if ins.OP == isa.Op.END and (n.coll is not None or n.outbox or n.pair_box):
                        raise IssError(f"node {n.idx}: END with ring data that was never exchanged")
                    n.exec(ins)
                    n.pc += 1
                    progress = True
            if self._complete():
                progress = True
            if not progress:
                raise IssError("deadlock: every node waits on a ring operation that cannot complete")
        outs = {n.token_out for n in self.nodes}
        if len(outs) != 1 or None in outs:
            raise IssError(f"nodes disagree on the next token: {outs}")
        return outs.pop()[1]
