"""Debug dump of the simulated system: every intermediate vector of every token step, checked exactly.

Every intermediate vector of a token step passes through a node's activation buffer. With the plusarg
``+dump=<path>`` the system testbench's monitors (``rtl/sim/ll_abuf_mon.sv``, one per node) write one
line per buffer write to ``<path>.n<node>``: step, position, cycle, writer unit, the byte address of
the instruction that produced the beat, the beat address and the 256-bit beat.

The expected contents come from the instruction-set simulator (``refmodel.iss.SystemIss`` with
``record=True``), which executes the same programs over the same memory images. For every node, step
and instruction, the beats the hardware wrote (address and data, each beat exactly once) must equal
those of the ISS; the order between units is free (they run concurrently), the addresses within one
instruction may come in any order (a gather writes the slices as they arrive). The program's
instructions are named after the integer reference's dump (``IntGPT2.step(..., dump=...)``):
``embed``, ``h.<l>.ln_1``, ``h.<l>.qkv`` (the node's heads), ``h.<l>.attn_ctx``, ``h.<l>.attn_proj``,
``h.<l>.ln_2``, ``h.<l>.gelu``, ``h.<l>.mlp_proj``, ``ln_f``; and the ISS's named vectors are
themselves checked against the integer reference's, so the dump is anchored to the bit-exact model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from refmodel import isa
from refmodel.compiler import BEAT, SystemImage

UNIT_NAMES = {int(u): u.name for u in isa.Unit}


@dataclass(frozen=True)
class VecInfo:
    """What one instruction writes into the activation buffer."""

    name: str  # integer-reference name, or "pc<i>" if the program's shape gives none
    dtype: str  # element type in the buffer: "i1" (int8) or "<i4" (int32)
    length: int  # elements (the rest of the last beat is padding)
    ref_index: np.ndarray | None = None  # elements of the reference vector (None: all of them)


@dataclass
class Record:
    """One buffer write of the hardware."""

    step: int
    pos: int
    cycle: int
    unit: int
    pc: int  # instruction index in the node's program
    beat: int
    data: bytes


@dataclass
class Mismatch:
    step: int
    node: int
    pc: int
    unit: int
    name: str
    text: str

    def __str__(self) -> str:
        unit = UNIT_NAMES.get(self.unit, self.unit)
        return f"step {self.step} node {self.node}: {self.name} (pc {self.pc}, {unit}) {self.text}"


@dataclass
class DumpReport:
    steps: int = 0
    nodes: int = 0
    vectors: int = 0  # (step, node, instruction) vectors compared
    beats: int = 0  # beats compared
    mismatches: list[Mismatch] = field(default_factory=list)  # hardware against the ISS, program order
    ref_mismatches: list[str] = field(default_factory=list)  # the ISS against the integer reference
    ref_checked: int = 0  # named vectors of the ISS compared with the integer reference
    files: list[Path] = field(default_factory=list)  # the per-step .npz files written
    sources: list[Path] = field(default_factory=list)  # the monitor files read, one per node

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.ref_mismatches and self.vectors > 0

    def summary(self) -> str:
        if self.ok:
            return (f"debug dump: all {self.vectors} vectors ({self.beats} beats) of {self.steps} steps on "
                    f"{self.nodes} nodes equal the ISS; {self.ref_checked} named vectors of the ISS equal "
                    f"the integer reference")
        lines = [f"debug dump: {len(self.mismatches)} of {self.vectors} vectors differ from the ISS, "
                 f"{len(self.ref_mismatches)} ISS vectors differ from the integer reference"]
        if self.mismatches:
            lines.append(f"first: {self.mismatches[0]}")
        if self.ref_mismatches:
            lines.append(f"first: {self.ref_mismatches[0]}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# names of the program's vectors
# --------------------------------------------------------------------------------------------------
def vector_names(sysimg: SystemImage, node: int) -> dict[int, VecInfo]:
    """Per instruction index of `node`'s program that writes the activation buffer: its vector.

    Follows the program shape of `refmodel.compiler._program`: the LayerNorms come in the order
    h.0.ln_1, h.0.ln_2, h.1.ln_1, ..., ln_f; the gathers into `ctx` and `hid` are the attention context
    and the GELU output of the current layer; a gather into `delta` is the attention projection
    after ln_1 and the MLP projection after ln_2; an MP into the buffer is the node's q/k/v rows."""
    cfg, ab = sysimg.config, sysimg.abuf
    d, dff, dh, L = cfg.n_embd, cfg.d_ff, cfg.d_head, cfg.n_layer
    img = sysimg.nodes[node]
    h0, h1 = img.heads
    qkv_rows = np.array([part * d + h * dh + j for h in range(h0, h1) for part in range(3) for j in range(dh)],
                        dtype=np.int64)
    out: dict[int, VecInfo] = {}
    n_ln = 0
    layer, mlp = 0, False  # the LayerNorm last written: h.<layer>.ln_1 (mlp False) or ln_2 (True)
    for pc, ins in enumerate(img.program):
        op = ins.OP
        if op == isa.Op.EMBED:
            out[pc] = VecInfo("embed", "<i4", d)
        elif op == isa.Op.LNR and ins.mode in (isa.LnrMode.ADD_LN, isa.LnrMode.LOAD_LN, isa.LnrMode.LN):
            layer, mlp = n_ln // 2, bool(n_ln % 2)
            name = f"h.{layer}.ln_2" if mlp else (f"h.{layer}.ln_1" if layer < L else "ln_f")
            out[pc] = VecInfo(name, "i1", d)
            n_ln += 1
        elif op == isa.Op.MP and ins.out_sel == isa.OutSel.BUF:
            if ins.mode == isa.MpMode.INT8 and ins.out_addr == ab.qkv and not mlp:
                out[pc] = VecInfo(f"h.{layer}.qkv", "i1", len(qkv_rows), qkv_rows)
            else:
                out[pc] = VecInfo(f"pc{pc}", "<i4" if ins.mode == isa.MpMode.WIDE else "i1", ins.rows * 8)
        elif op == isa.Op.MHA and ins.out_sel == isa.OutSel.BUF:
            out[pc] = VecInfo(f"h.{layer}.attn_ctx_local", "i1", ins.heads * dh)
        elif op == isa.Op.RING and ins.op == isa.RingOp.GATHER:
            if ins.dst_addr == ab.ctx:
                out[pc] = VecInfo(f"h.{layer}.attn_ctx", "i1", d)
            elif ins.dst_addr == ab.hid:
                out[pc] = VecInfo(f"h.{layer}.gelu", "i1", dff)
            elif ins.dst_addr == ab.delta:
                out[pc] = VecInfo(f"h.{layer}.{'mlp_proj' if mlp else 'attn_proj'}", "<i4", d)
            else:
                out[pc] = VecInfo(f"pc{pc}", "i1", ins.vec_beats * BEAT)
    return out


def decode(info: VecInfo, data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=info.dtype)[: info.length].astype(np.int64)


# --------------------------------------------------------------------------------------------------
# the hardware's records
# --------------------------------------------------------------------------------------------------
def read_records(path: Path, prog_base: int) -> list[Record]:
    """Parse one node's monitor file (`<path>.n<node>`)."""
    recs = []
    for line in Path(path).read_text().splitlines():
        step, pos, cyc, unit, pc, beat, data = line.split()
        pc_byte = int(pc, 16)
        if (pc_byte - prog_base) % isa.INSTR_BYTES:
            raise ValueError(f"{path}: pc {pc_byte:#x} is not an instruction address of the program")
        recs.append(Record(int(step), int(pos), int(cyc), int(unit), (pc_byte - prog_base) // isa.INSTR_BYTES,
                           int(beat), int(data, 16).to_bytes(BEAT, "little")))
    return recs


def _beats(writes) -> dict[int, dict[int, tuple[int, bytes]]]:
    """ISS writes -> {pc: {beat: (unit, 32 bytes)}} (a later write of the same pc and beat replaces)."""
    out: dict[int, dict[int, tuple[int, bytes]]] = defaultdict(dict)
    for w in writes:
        for i in range(len(w.data) // BEAT):
            out[w.pc][w.beat + i] = (w.unit, w.data[i * BEAT : (i + 1) * BEAT])
    return out


def _first_diff(info: VecInfo, beats: list[int], got: dict[int, bytes], want: dict[int, bytes]) -> str:
    g = decode(info, b"".join(got[b] for b in beats))
    w = decode(info, b"".join(want[b] for b in beats))
    idx = np.flatnonzero(g != w)
    if not len(idx):  # the elements agree: the difference is in the padding of the last beat
        gb = b"".join(got[b] for b in beats)
        j = next(k for k in range(len(gb)) if gb[k] != b"".join(want[b] for b in beats)[k])
        return f"differs in the padding after element {info.length - 1} (buffer beat {beats[j // BEAT]})"
    i = int(idx[0])
    beat = beats[i * np.dtype(info.dtype).itemsize // BEAT]
    return (f"differs at element {i} (buffer beat {beat}): hardware {int(g[i])}, ISS {int(w[i])} "
            f"({len(idx)} of {len(g)} elements differ)")


def compare_step(step: int, node: int, names: dict[int, VecInfo], hw: list[Record], iss_writes) -> tuple[
        list[Mismatch], int, int]:
    """Hardware records of one node and step against the ISS's writes; returns (mismatches in program
    order, vectors compared, beats compared)."""
    want = _beats(iss_writes)
    got: dict[int, dict[int, bytes]] = defaultdict(dict)
    count: dict[tuple[int, int], int] = defaultdict(int)
    units: dict[int, set] = defaultdict(set)
    for r in hw:
        got[r.pc][r.beat] = r.data
        count[(r.pc, r.beat)] += 1
        units[r.pc].add(r.unit)
    out = []
    nbeats = 0
    for pc in sorted(set(want) | set(got)):
        info = names.get(pc, VecInfo(f"pc{pc}", "i1", 0))
        unit = next(iter(units[pc])) if pc not in want else next(iter(want[pc].values()))[0]

        def bad(text):
            out.append(Mismatch(step, node, pc, unit, info.name, text))

        if pc not in got:
            bad("was not written by the hardware")
            continue
        if pc not in want:
            bad(f"written by the hardware ({len(got[pc])} beats from {sorted(UNIT_NAMES[u] for u in units[pc])}) "
                "but not by the ISS")
            continue
        wunit = {u for u, _ in want[pc].values()}
        if units[pc] != wunit:
            bad(f"written by {sorted(UNIT_NAMES[u] for u in units[pc])}, the ISS's writer is "
                f"{sorted(UNIT_NAMES[u] for u in wunit)}")
            continue
        if set(got[pc]) != set(want[pc]):
            bad(f"beats {sorted(set(got[pc]) ^ set(want[pc]))} written by only one of hardware and ISS")
            continue
        twice = sorted(b for b in got[pc] if count[(pc, b)] != 1)
        if twice:
            bad(f"beats {twice} written more than once")
            continue
        beats = sorted(want[pc])
        nbeats += len(beats)
        if any(got[pc][b] != want[pc][b][1] for b in beats):
            wbytes = {b: v for b, (_, v) in want[pc].items()}
            if info.length == 0 or info.length * np.dtype(info.dtype).itemsize > len(beats) * BEAT:
                info = VecInfo(info.name, "i1", len(beats) * BEAT)
            bad(_first_diff(info, beats, got[pc], wbytes))
    return out, len(set(want) | set(got)), nbeats


# --------------------------------------------------------------------------------------------------
# one run
# --------------------------------------------------------------------------------------------------
def check_dump(sysimg: SystemImage, qm, tokens: list[int], files: list[Path], out_dir: Path | None = None,
               ref_image: SystemImage | None = None, start_pos: int = 0, kv=None) -> DumpReport:
    """Compare the monitor files of a run (`files[node]`) that fed `tokens` at positions start_pos,
    start_pos + 1, ... with the ISS on `ref_image` (default: `sysimg`, the images the hardware ran),
    check the ISS's named vectors against the integer reference (with `kv`, the KV rows preloaded into
    the images, preloaded into it too), and write one `step<i>.npz` per step to `out_dir` (keys `pos`,
    `token`, `n<node>/<name>`: the hardware's vectors, decoded, `ref/<name>`: the integer reference's).
    The mismatches are sorted by step, then program order: the first is where a difference starts."""
    from refmodel.int_model import IntGPT2
    from refmodel.iss import SystemIss

    nodes = len(sysimg.nodes)
    recs = [read_records(f, sysimg.nodes[n].prog_base) for n, f in enumerate(files)]
    names = [vector_names(sysimg, n) for n in range(nodes)]
    rep = DumpReport(steps=len(tokens), nodes=nodes, sources=[Path(f) for f in files])
    iss = SystemIss(ref_image or sysimg, record=True)
    ref = IntGPT2(qm)
    if kv is not None:
        ref.preload_kv(*kv)
    by_step: list[dict[int, list[Record]]] = [defaultdict(list) for _ in range(nodes)]
    for n in range(nodes):
        for r in recs[n]:
            by_step[n][r.step].append(r)
        extra = sorted(s for s in by_step[n] if not 0 <= s < len(tokens))
        if extra:
            rep.mismatches.append(Mismatch(extra[0], n, -1, -1, "-", "records of a step that was not run"))
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    for i, tok in enumerate(tokens):
        pos = start_pos + i
        iss.step(tok, pos)
        rdump: dict = {}
        ref.step(tok, pos, dump=rdump)
        arrays = {f"ref/{k}": np.asarray(v, dtype=np.int64) for k, v in rdump.items()}
        for n in range(nodes):
            hw = by_step[n].get(i, [])
            bad_pos = [r for r in hw if r.pos != pos]
            if bad_pos:
                rep.mismatches.append(Mismatch(i, n, bad_pos[0].pc, bad_pos[0].unit, "-",
                                               f"record with POSITION {bad_pos[0].pos}"))
            mm, nv, nb = compare_step(i, n, names[n], hw, iss.writes[n])
            rep.mismatches += mm
            rep.vectors += nv
            rep.beats += nb
            # the ISS's named vectors against the integer reference
            for pc, beats in _beats(iss.writes[n]).items():
                info = names[n].get(pc)
                if info is None or info.name not in rdump:
                    continue
                v = decode(info, b"".join(beats[b][1] for b in sorted(beats)))
                r = np.asarray(rdump[info.name], dtype=np.int64)
                r = r[info.ref_index] if info.ref_index is not None else r
                rep.ref_checked += 1
                if v.shape != r.shape or np.any(v != r):
                    where = (f"at element {int(np.flatnonzero(v != r)[0])}" if v.shape == r.shape
                             else f"in length ({len(v)}, reference {len(r)})")
                    rep.ref_mismatches.append(f"step {i} node {n}: the ISS's {info.name} differs from the "
                                              f"integer reference {where}")
            # the hardware's vectors, decoded
            got: dict[int, dict[int, bytes]] = defaultdict(dict)
            for r in hw:
                got[r.pc][r.beat] = r.data
            for pc, beats in got.items():
                info = names[n].get(pc, VecInfo(f"pc{pc}", "i1", len(beats) * BEAT))
                data = b"".join(beats[b] for b in sorted(beats))
                if len(data) < info.length * np.dtype(info.dtype).itemsize:
                    info = VecInfo(info.name, "i1", len(data))
                arrays[f"n{n}/{info.name}"] = decode(info, data)
        if out_dir is not None:
            f = out_dir / f"step{i:03d}.npz"
            np.savez_compressed(f, pos=np.int64(pos), token=np.int64(tok), **arrays)
            rep.files.append(f)
    rep.mismatches.sort(key=lambda m: (m.step, m.pc, m.node))
    return rep
