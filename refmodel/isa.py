"""The node's instruction set: the single source of truth for its encoding (docs/isa.md).

Every instruction is 256 bits wide, one memory beat, so the scheduler fetches exactly one instruction
per beat of its AXI4 read port. Bits 31..0 are a common header::

    [7:0]   opcode          (0x00 is illegal on purpose: a fetch from zeroed memory stops at once)
    [11:8]  unit            target unit of a launch (must match the opcode's unit; any unit for EXT)
    [15:12] reserved        must be zero
    [23:16] wait_issue      do not issue until every op issued so far to these units has completed
    [31:24] wait_data       launch now, but hold data_ready low until the ops issued so far to these
                            units have completed (snapshot taken at the launch)

and bits 255..32 hold the operands of the opcode, as 32-bit words w1..w7 (word k = bits 32k+31..32k).
Every bit that no field of the opcode covers is reserved and must be zero.

This module gives one dataclass per opcode with ``encode() -> int``, ``to_bytes()``, ``validate()``
(the same legality rules the RTL decoder applies, returning the documented error cause) and the
module functions :func:`decode`, :func:`assemble`, :func:`disassemble`. :func:`emit_sv_package`
writes ``rtl/sched/ll_isa_pkg.sv`` (opcodes, units, field positions as packed structs, reserved-bit
masks); a test checks that the checked-in package is exactly what this module emits.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import ClassVar

INSTR_BITS = 256
INSTR_BYTES = INSTR_BITS // 8
MAX_UNITS = 8


class Op(enum.IntEnum):
    """Opcodes (bits 7..0)."""

    NOP = 0x01
    SYNC = 0x02
    END = 0x03
    EMBED = 0x10
    LNR = 0x11
    MP = 0x12
    MHA = 0x13
    RING = 0x14
    ARGMAX = 0x15
    EXT = 0x1F


class Unit(enum.IntEnum):
    """Unit slots of a node (launch port index of the scheduler)."""

    EMBED = 0
    LNR = 1
    MP = 2
    MHA = 3
    RING = 4
    ARGMAX = 5
    SPARE6 = 6
    SPARE7 = 7


#: the fixed unit of each kernel opcode (EXT names its unit in the unit field)
OP_UNIT: dict[Op, Unit] = {
    Op.EMBED: Unit.EMBED, Op.LNR: Unit.LNR, Op.MP: Unit.MP, Op.MHA: Unit.MHA,
    Op.RING: Unit.RING, Op.ARGMAX: Unit.ARGMAX,
}
LAUNCH_OPS = (*OP_UNIT, Op.EXT)


class LnrMode(enum.IntEnum):
    """LNR modes (the encoding of ll_lnr_pkg::lnr_mode_e); ``res`` is the residual vector the LNR
    unit keeps in its own buffer."""

    ADD_LN = 0   # res = sat24(res + delta); out = LN(res)
    ADD = 1      # res = sat24(res + delta)
    LOAD_LN = 2  # res = sat24(delta); out = LN(res)   (the embedding becomes the residual)
    LOAD = 3     # res = sat24(delta)
    LN = 4       # out = LN(res)


class OutSel(enum.IntEnum):
    """Where a kernel's output stream goes."""

    BUF = 0      # the activation buffer at out_addr / ctx_addr
    RING = 1     # the ring all-gather (own slice of the open RING gather)
    ARGMAX = 2   # the argmax unit (MP only: the LM head's logits)


class MpMode(enum.IntEnum):
    INT8 = 0
    WIDE = 1
    GELU = 2


class RingOp(enum.IntEnum):
    GATHER = 0
    ARGMAX = 1


class RingLayout(enum.IntEnum):
    CONTIGUOUS = 0
    STRIDED = 1


class Err:
    """Error sources (STATUS.err_src; 0..7 is the unit that reported the error) and causes
    (STATUS.err_cause; for a unit error, the unit's own error code). Table in docs/isa.md."""

    # sources
    SRC_DECODE = 0x8
    SRC_FETCH = 0x9
    SRC_WATCHDOG = 0xA
    SRC_PROTOCOL = 0xB
    # decode causes
    ILLEGAL_OPCODE = 0x01
    RESERVED_BITS = 0x02
    BAD_UNIT = 0x03
    BAD_MASK = 0x04
    BAD_OPERAND = 0x05
    # fetch causes
    FETCH_SLVERR = 0x02
    FETCH_DECERR = 0x03
    FETCH_MISALIGNED = 0x04
    # watchdog cause
    TIMEOUT = 0x01
    # protocol causes: 0x10 | unit = a done pulse from a unit with no op in flight
    SPURIOUS_DONE = 0x10

    @classmethod
    def items(cls) -> list[tuple[str, int]]:
        return [(k, v) for k, v in vars(cls).items() if k.isupper()]


class IsaError(ValueError):
    """An instruction cannot be encoded/decoded; ``cause`` is the RTL's error cause."""

    def __init__(self, msg: str, cause: int):
        super().__init__(msg)
        self.cause = cause


# --------------------------------------------------------------------------------------------------
# field descriptions


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int     # absolute bit position in the 256-bit instruction
    width: int
    doc: str = ""

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


def _w(word: int, lsb: int) -> int:
    """Absolute bit position of bit ``lsb`` of operand word ``word`` (1..7)."""
    return 32 * word + lsb


HEADER_FIELDS = (
    Field("opcode", 0, 8, "operation"),
    Field("unit", 8, 4, "target unit of a launch"),
    Field("wait_issue", 16, 8, "issue only when these units have no op in flight"),
    Field("wait_data", 24, 8, "data_ready only when the ops in flight on these units at launch completed"),
)

# Operand fields per opcode (absolute positions). Kept word aligned where possible.
OPERANDS: dict[Op, tuple[Field, ...]] = {
    Op.NOP: (),
    Op.SYNC: (),
    Op.END: (),
    Op.EMBED: (
        Field("wte_base", _w(1, 0), 32, "byte address of the wte table: rows of d int8, then a 32-bit "
              "requantisation word per row (docs/lnr.md)"),
        Field("wte_rows", _w(2, 0), 32, "rows of the wte table (vocabulary size)"),
        Field("wpe_base", _w(3, 0), 32, "byte address of the wpe table, same layout"),
        Field("wpe_rows", _w(4, 0), 32, "rows of the wpe table (context length)"),
        Field("d", _w(5, 0), 16, "model width n_embd (elements), != 0"),
        Field("out_addr", _w(5, 16), 16, "residual buffer beat address"),
    ),
    Op.LNR: (
        Field("mode", _w(1, 0), 3, "0 add+LN, 1 add, 2 load+LN, 3 load, 4 LN (5..7 illegal)"),
        Field("shift", _w(1, 8), 6, "LayerNorm output shift s"),
        Field("d", _w(1, 16), 16, "vector length (elements), != 0"),
        Field("param_base", _w(2, 0), 32, "byte address of gamma (int16) / beta (int48) parameters"),
        Field("delta_addr", _w(3, 16), 16, "wide delta buffer beat address (add and load modes)"),
        Field("out_addr", _w(4, 0), 16, "int8 output buffer beat address (LN modes)"),
    ),
    Op.MP: (
        Field("w_base", _w(1, 0), 32, "byte address of the packed weight stream on port 0"),
        Field("port_stride", _w(2, 0), 32, "byte offset of port p's stream: w_base + p * port_stride"),
        Field("rows", _w(3, 0), 16, "output rows, != 0"),
        Field("din_beats", _w(3, 16), 13, "input length in 32-byte beats, != 0"),
        Field("mode", _w(4, 0), 2, "0 int8, 1 wide, 2 GELU (3 illegal)"),
        Field("out_sel", _w(4, 2), 2, "output: 0 buffer, 1 ring all-gather, 2 argmax unit (3 illegal)"),
        Field("gelu_s", _w(4, 8), 6, "GELU output shift"),
        Field("gelu_m", _w(4, 16), 15, "GELU output multiplier"),
        Field("act_addr", _w(5, 0), 16, "input activation buffer beat address"),
        Field("out_addr", _w(5, 16), 16, "output buffer beat address (local output)"),
    ),
    Op.MHA: (
        Field("kv_base", _w(1, 0), 32, "byte address of this layer's KV cache"),
        Field("sm_m", _w(2, 0), 15, "softmax exponent multiplier"),
        Field("sm_s", _w(2, 16), 6, "softmax exponent shift"),
        Field("out_m", _w(3, 0), 15, "context requantisation multiplier"),
        Field("out_s", _w(3, 16), 6, "context requantisation shift"),
        Field("heads", _w(4, 0), 8, "heads of this node, != 0"),
        Field("out_sel", _w(4, 8), 2, "context: 0 buffer, 1 ring all-gather (2, 3 illegal)"),
        Field("qkv_addr", _w(5, 0), 16, "q/k/v buffer beat address"),
        Field("ctx_addr", _w(5, 16), 16, "context output buffer beat address"),
    ),
    Op.RING: (
        Field("op", _w(1, 0), 2, "0 all-gather, 1 argmax reduction (2, 3 illegal)"),
        Field("layout", _w(1, 2), 1, "gather: 0 contiguous slices, 1 strided blocks"),
        Field("block_log2", _w(1, 8), 4, "strided layout: block = 2^x beats"),
        Field("dst_addr", _w(1, 16), 16, "gather: destination buffer beat address of beat 0"),
        Field("vec_beats", _w(2, 0), 16, "gather: whole vector length in beats, != 0"),
        Field("start", _w(2, 16), 16, "gather, contiguous: first beat of this node's slice"),
        Field("len", _w(3, 0), 16, "gather, contiguous: beats of this node's slice"),
    ),
    Op.ARGMAX: (
        Field("index_base", _w(1, 0), 32, "global index of this node's first logit"),
        Field("count", _w(2, 16), 16, "number of logits, != 0"),
    ),
    Op.EXT: (
        Field("payload", _w(1, 0), 224, "unit-defined operands, passed through unchecked"),
    ),
}

#: operand fields that must not be zero
NONZERO = {
    Op.EMBED: ("d",), Op.LNR: ("d",), Op.MP: ("rows", "din_beats"), Op.MHA: ("heads",),
    Op.ARGMAX: ("count",),
}

ALL_ONES = (1 << INSTR_BITS) - 1
HEADER_RESERVED = 0xF000  # bits 15..12


def reserved_mask(op: Op) -> int:
    """Bits of an instruction of opcode ``op`` that must be zero."""
    used = 0
    for f in HEADER_FIELDS + OPERANDS[op]:
        used |= f.mask
    if op not in LAUNCH_OPS:
        used &= ~Field("unit", 8, 4).mask & ~Field("wait_data", 24, 8).mask
        if op in (Op.NOP, Op.END):
            used &= ~Field("wait_issue", 16, 8).mask
    return ALL_ONES & ~used


# --------------------------------------------------------------------------------------------------
# instruction classes


@dataclass
class Instr:
    """Base class: header fields shared by every instruction."""

    OP: ClassVar[Op]
    wait_issue: int = 0
    wait_data: int = 0

    @property
    def unit(self) -> int:
        return int(OP_UNIT[self.OP]) if self.OP in OP_UNIT else 0

    def operands(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in OPERANDS[self.OP]}

    def encode(self) -> int:
        """The 256-bit instruction word (bit i of the int = instruction bit i). Raises IsaError if an
        operand does not fit its field; semantic rules are checked by :meth:`validate`."""
        word = int(self.OP) | (self.unit << 8) | (self.wait_issue << 16) | (self.wait_data << 24)
        for f in HEADER_FIELDS[1:]:
            val = {"unit": self.unit, "wait_issue": self.wait_issue, "wait_data": self.wait_data}[f.name]
            if not 0 <= val < (1 << f.width):
                raise IsaError(f"{self.OP.name}: {f.name}={val} does not fit {f.width} bits",
                               Err.BAD_MASK if f.name.startswith("wait") else Err.BAD_UNIT)
        for f in OPERANDS[self.OP]:
            val = int(getattr(self, f.name))
            if not 0 <= val < (1 << f.width):
                raise IsaError(f"{self.OP.name}: {f.name}={val} does not fit {f.width} bits",
                               Err.BAD_OPERAND)
            word |= val << f.lsb
        if word & reserved_mask(self.OP):
            raise IsaError(f"{self.OP.name}: header fields not allowed on this opcode", Err.RESERVED_BITS)
        return word

    def to_bytes(self) -> bytes:
        return self.encode().to_bytes(INSTR_BYTES, "little")

    def validate(self, num_units: int = MAX_UNITS) -> None:
        """Raise IsaError with the RTL's error cause if the scheduler would refuse this instruction."""
        check_word(self.encode(), num_units)

    def text(self) -> str:
        parts = [self.OP.name]
        if self.OP is Op.EXT:
            parts.append(f"unit={self.unit}")
        if self.wait_issue:
            parts.append(f"wait_issue={_units_text(self.wait_issue)}")
        if self.wait_data:
            parts.append(f"wait_data={_units_text(self.wait_data)}")
        for k, v in self.operands().items():
            parts.append(f"{k}={v:#x}" if v > 9 else f"{k}={v}")
        return " ".join(parts)


def _units_text(mask: int) -> str:
    names = [Unit(u).name if u < MAX_UNITS else str(u) for u in range(8) if mask >> u & 1]
    return "|".join(names)


def _make(op: Op, name: str, doc: str) -> type[Instr]:
    fields = [(f.name, int, dataclasses.field(default=0)) for f in OPERANDS[op]]
    cls = dataclasses.make_dataclass(name, fields, bases=(Instr,), namespace={"OP": op, "__doc__": doc})
    cls.__module__ = __name__
    return cls


Nop = _make(Op.NOP, "Nop", "No operation (all other bits zero).")
Sync = _make(Op.SYNC, "Sync", "Wait until the units of wait_issue have completed every issued op.")
End = _make(Op.END, "End", "End of the token step: wait for every unit to finish, report done, stop.")
Embed = _make(Op.EMBED, "Embed", "Embedding lookup wte[token] + wpe[pos] into the residual buffer.")
Lnr = _make(Op.LNR, "Lnr", "Residual add and/or LayerNorm.")
Mp = _make(Op.MP, "Mp", "Matrix processing y = epilogue(W x + b).")
Mha = _make(Op.MHA, "Mha", "Fused attention of this node's heads for the current position.")
Ring = _make(Op.RING, "Ring", "Ring all-gather or argmax reduction.")
Argmax = _make(Op.ARGMAX, "Argmax", "Local argmax over this node's logits.")


@dataclass
class Ext(Instr):
    """Generic launch of any unit with a raw 224-bit payload (spare units, future kernels)."""

    OP: ClassVar[Op] = Op.EXT
    ext_unit: int = 6
    payload: int = 0

    @property
    def unit(self) -> int:
        return self.ext_unit


CLASSES: dict[Op, type[Instr]] = {
    Op.NOP: Nop, Op.SYNC: Sync, Op.END: End, Op.EMBED: Embed, Op.LNR: Lnr, Op.MP: Mp, Op.MHA: Mha,
    Op.RING: Ring, Op.ARGMAX: Argmax, Op.EXT: Ext,
}


# --------------------------------------------------------------------------------------------------
# legality (mirrors the RTL decoder, rtl/sched/ll_scheduler.sv)


def check_word(word: int, num_units: int = MAX_UNITS) -> None:
    """Raise IsaError with the decoder's cause if ``word`` is not a legal instruction.

    Order of the checks (the first failing one is reported, as in the RTL): opcode, reserved bits,
    unit, masks, operands.
    """
    if not 0 <= word <= ALL_ONES:
        raise IsaError("instruction word out of range", Err.RESERVED_BITS)
    opc = word & 0xFF
    try:
        op = Op(opc)
    except ValueError:
        raise IsaError(f"illegal opcode {opc:#04x}", Err.ILLEGAL_OPCODE) from None
    if word & reserved_mask(op):
        raise IsaError(f"{op.name}: reserved bits set ({word & reserved_mask(op):#x})", Err.RESERVED_BITS)
    unit = (word >> 8) & 0xF
    if op in OP_UNIT and unit != OP_UNIT[op]:
        raise IsaError(f"{op.name}: unit {unit}, expected {int(OP_UNIT[op])}", Err.BAD_UNIT)
    if op in LAUNCH_OPS and unit >= num_units:
        raise IsaError(f"{op.name}: unit {unit} >= number of units {num_units}", Err.BAD_UNIT)
    wi, wd = (word >> 16) & 0xFF, (word >> 24) & 0xFF
    if (wi | wd) >> num_units:
        raise IsaError(f"{op.name}: wait mask names a unit >= {num_units}", Err.BAD_MASK)
    vals = {f.name: (word >> f.lsb) & ((1 << f.width) - 1) for f in OPERANDS[op]}
    for name in NONZERO.get(op, ()):
        if vals[name] == 0:
            raise IsaError(f"{op.name}: {name} must not be zero", Err.BAD_OPERAND)
    if op is Op.LNR and vals["mode"] > LnrMode.LN:
        raise IsaError(f"LNR: mode {vals['mode']} is illegal", Err.BAD_OPERAND)
    if op is Op.MP and vals["mode"] == 3:
        raise IsaError("MP: mode 3 is illegal", Err.BAD_OPERAND)
    if op is Op.MP and vals["out_sel"] > OutSel.ARGMAX:
        raise IsaError(f"MP: out_sel {vals['out_sel']} is illegal", Err.BAD_OPERAND)
    if op is Op.MHA and vals["out_sel"] > OutSel.RING:
        raise IsaError(f"MHA: out_sel {vals['out_sel']} is illegal", Err.BAD_OPERAND)
    if op is Op.RING:
        if vals["op"] > 1:
            raise IsaError(f"RING: op {vals['op']} is illegal", Err.BAD_OPERAND)
        if vals["op"] == RingOp.GATHER:
            if vals["vec_beats"] == 0:
                raise IsaError("RING gather: vec_beats must not be zero", Err.BAD_OPERAND)
            if vals["layout"] == RingLayout.CONTIGUOUS and vals["start"] + vals["len"] > vals["vec_beats"]:
                raise IsaError("RING gather: start + len > vec_beats", Err.BAD_OPERAND)


def decode(data: int | bytes) -> Instr:
    """Instruction object of a 256-bit word (int or 32 little-endian bytes). Raises IsaError if illegal."""
    word = int.from_bytes(data, "little") if isinstance(data, (bytes, bytearray)) else int(data)
    if isinstance(data, (bytes, bytearray)) and len(data) != INSTR_BYTES:
        raise IsaError(f"an instruction is {INSTR_BYTES} bytes, got {len(data)}", Err.RESERVED_BITS)
    check_word(word)
    op = Op(word & 0xFF)
    kw = {"wait_issue": (word >> 16) & 0xFF, "wait_data": (word >> 24) & 0xFF}
    for f in OPERANDS[op]:
        kw[f.name] = (word >> f.lsb) & ((1 << f.width) - 1)
    if op is Op.EXT:
        kw["ext_unit"] = (word >> 8) & 0xF
    return CLASSES[op](**kw)


def assemble(program: list[Instr], num_units: int = MAX_UNITS) -> bytes:
    """Program image: the instructions in order, 32 little-endian bytes each (beat i = instruction i).
    Every instruction is validated; the program must end with END."""
    if not program or program[-1].OP is not Op.END:
        raise IsaError("a program must end with END", Err.ILLEGAL_OPCODE)
    for i, ins in enumerate(program):
        try:
            ins.validate(num_units)
        except IsaError as exc:
            raise IsaError(f"instruction {i}: {exc}", exc.cause) from None
    return b"".join(ins.to_bytes() for ins in program)


def disassemble_to_instrs(image: bytes) -> list[Instr]:
    """The instruction objects of a program image (raises IsaError on an illegal word)."""
    if len(image) % INSTR_BYTES:
        raise IsaError(f"image length {len(image)} is not a multiple of {INSTR_BYTES}", Err.RESERVED_BITS)
    return [decode(image[i:i + INSTR_BYTES]) for i in range(0, len(image), INSTR_BYTES)]


def disassemble(image: bytes) -> str:
    """One line per instruction: ``<index>: <text>``; illegal words are shown as ``.word``."""
    if len(image) % INSTR_BYTES:
        raise IsaError(f"image length {len(image)} is not a multiple of {INSTR_BYTES}", Err.RESERVED_BITS)
    lines = []
    for i in range(0, len(image), INSTR_BYTES):
        chunk = image[i:i + INSTR_BYTES]
        try:
            txt = decode(chunk).text()
        except IsaError as exc:
            txt = f".word {int.from_bytes(chunk, 'little'):#066x}  ; illegal: {exc}"
        lines.append(f"{i // INSTR_BYTES:5d}: {txt}")
    return "\n".join(lines) + "\n"


def error_code(src: int, cause: int) -> int:
    """STATUS error code as the RTL reports it: ``{src[3:0], cause[7:0]}``."""
    return (src & 0xF) << 8 | (cause & 0xFF)


# --------------------------------------------------------------------------------------------------
# SystemVerilog package (generated; checked in as rtl/sched/ll_isa_pkg.sv)


def emit_sv_package() -> str:
    out = [
        "// Instruction set of the node scheduler: opcodes, units, field layout and reserved-bit masks.",
        "// GENERATED by `python -m refmodel.isa --emit-sv rtl/sched/ll_isa_pkg.sv` from refmodel/isa.py",
        "// (the single source of truth, docs/isa.md); refmodel/tests/test_isa.py checks it is up to date.",
        "// Not every constant is used by every module.",
        "/* verilator lint_off UNUSEDPARAM */",
        "package ll_isa_pkg;",
        "",
        f"  localparam int unsigned InstrBits = {INSTR_BITS};",
        f"  localparam int unsigned MaxUnits  = {MAX_UNITS};",
        "",
        "  typedef enum logic [7:0] {",
    ]
    ops = list(Op)
    for i, op in enumerate(ops):
        out.append(f"    Op{op.name.capitalize():<8} = 8'h{int(op):02x}{',' if i < len(ops) - 1 else ''}")
    out += ["  } opcode_e;", ""]
    for u in Unit:
        out.append(f"  localparam int unsigned Unit{u.name.capitalize()} = {int(u)};")
    out.append("")
    out.append("  // error sources (STATUS.err_src; 0..7 = a unit) and causes (STATUS.err_cause)")
    for ename, val in Err.items():
        src = ename.startswith("SRC")
        lit = f"4'h{val:x}" if src else f"8'h{val:02x}"
        camel = "".join(p.capitalize() for p in ename.split("_"))
        out.append(f"  localparam logic [{3 if src else 7}:0] Err{camel} = {lit};")
    out += ["", "  typedef struct packed {",
            "    logic [7:0] wait_data;", "    logic [7:0] wait_issue;", "    logic [3:0] rsvd;",
            "    logic [3:0] unit;", "    logic [7:0] opcode;", "  } hdr_t;", ""]
    for op in ops:
        flds = sorted(OPERANDS[op], key=lambda f: -f.lsb)
        name = op.name.lower()
        if flds:
            out.append(f"  // {op.name}: operand bits 255..32 (reserved gaps are named rsvd*)")
            out.append("  typedef struct packed {")
            pos, k = INSTR_BITS, 0
            for f in flds:
                top = f.lsb + f.width
                if top < pos:
                    out.append(f"    logic [{pos - top - 1}:0] rsvd{k};")
                    k += 1
                out.append(f"    logic [{f.width - 1}:0] {f.name};")
                pos = f.lsb
            if pos > 32:
                out.append(f"    logic [{pos - 33}:0] rsvd{k};")
            out.append("    hdr_t hdr;")
            out.append(f"  }} {name}_t;")
            out.append("")
    out.append("  // reserved bits per opcode (must be zero)")
    for op in ops:
        out.append(f"  localparam logic [InstrBits-1:0] Rsvd{op.name.capitalize()} = "
                   f"256'h{reserved_mask(op):064x};")
    out += ["", "endpackage", "/* verilator lint_on UNUSEDPARAM */", ""]
    return "\n".join(out)


def _main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    ap = argparse.ArgumentParser(description="node ISA tools")
    ap.add_argument("--emit-sv", metavar="FILE", help="write the SystemVerilog ISA package")
    ap.add_argument("--disassemble", metavar="IMAGE", help="print a program image")
    args = ap.parse_args(argv)
    if args.emit_sv:
        Path(args.emit_sv).write_text(emit_sv_package())
    if args.disassemble:
        print(disassemble(Path(args.disassemble).read_bytes()), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
