"""refmodel.isa: encoding, round trips, legality rules, the generated SV package, the cycle model."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from refmodel import isa
from refmodel.cyclemodel.sched import SchedParams, first_issue_latency, issue_cycles
from refmodel.isa import Err, Op

REPO = Path(__file__).resolve().parents[2]


def _random_legal(rng: random.Random, op: Op) -> isa.Instr:
    vals = {f.name: rng.getrandbits(f.width) for f in isa.OPERANDS[op]}
    for name in isa.NONZERO.get(op, ()):
        vals[name] = vals[name] or 1
    if op is Op.LNR:
        vals["mode"] = rng.randrange(5)
    if op is Op.MP:
        vals["mode"] = rng.randrange(3)
        vals["out_sel"] = rng.randrange(3)
    if op is Op.MHA:
        vals["out_sel"] = rng.randrange(2)
    if op is Op.RING:
        vals.update(op=rng.randrange(2), layout=1, vec_beats=rng.randrange(1, 1 << 16))
    kw = {}
    if op in isa.LAUNCH_OPS:
        kw = {"wait_issue": rng.getrandbits(8), "wait_data": rng.getrandbits(8)}
    elif op is Op.SYNC:
        kw = {"wait_issue": rng.getrandbits(8)}
    if op is Op.EXT:
        return isa.Ext(ext_unit=rng.randrange(8), payload=vals["payload"], **kw)
    return isa.CLASSES[op](**kw, **vals)


@pytest.mark.parametrize("op", list(Op), ids=lambda o: o.name)
def test_round_trip(op):
    rng = random.Random(int(op))
    for _ in range(200):
        ins = _random_legal(rng, op)
        word = ins.encode()
        assert 0 <= word < 1 << 256
        assert word & 0xFF == int(op)
        assert (word >> 8) & 0xF == ins.unit
        data = ins.to_bytes()
        assert len(data) == 32 and int.from_bytes(data, "little") == word
        assert isa.decode(word) == ins
        assert isa.decode(data) == ins
        ins.validate()


def test_field_positions_exact():
    """A few fields at the bit positions docs/isa.md documents."""
    mp = isa.Mp(w_base=0x11223344, port_stride=0x55667788, rows=0xABCD, din_beats=0x1FFF, mode=2,
                out_sel=2, gelu_s=63, gelu_m=0x7FFF, act_addr=0x1234, out_addr=0x5678,
                wait_issue=0x81, wait_data=0x42)
    w = mp.encode()
    assert w & 0xFFFFFFFF == 0x42_81_02_12
    assert (w >> 32) & 0xFFFFFFFF == 0x11223344
    assert (w >> 64) & 0xFFFFFFFF == 0x55667788
    assert (w >> 96) & 0xFFFF == 0xABCD and (w >> 112) & 0x1FFF == 0x1FFF
    assert (w >> 128) & 3 == 2 and (w >> 130) & 3 == 2
    assert (w >> 136) & 0x3F == 63 and (w >> 144) & 0x7FFF == 0x7FFF
    assert (w >> 160) & 0xFFFF == 0x1234 and (w >> 176) & 0xFFFF == 0x5678
    assert w >> 192 == 0
    assert isa.End().encode() == 0x03
    assert isa.Sync(wait_issue=0x10).encode() == 0x10_0002


def test_fields_disjoint_and_inside():
    for op, fields in isa.OPERANDS.items():
        used = 0
        for f in isa.HEADER_FIELDS + fields:
            assert f.lsb + f.width <= 256
            assert used & f.mask == 0, f"{op.name}.{f.name} overlaps"
            used |= f.mask
        rsvd = isa.reserved_mask(op)
        assert rsvd & 0xFF == 0 and (used | rsvd) == isa.ALL_ONES
        if op in isa.LAUNCH_OPS:
            assert used & rsvd == 0


@pytest.mark.parametrize("word,cause", [
    (0, Err.ILLEGAL_OPCODE),
    (0x7F, Err.ILLEGAL_OPCODE),
    (0x04, Err.ILLEGAL_OPCODE),
    (isa.Nop().encode() | 1 << 12, Err.RESERVED_BITS),
    (isa.Nop().encode() | 1 << 16, Err.RESERVED_BITS),          # NOP has no wait_issue
    (isa.End().encode() | 1 << 255, Err.RESERVED_BITS),
    (isa.Sync().encode() | 1 << 24, Err.RESERVED_BITS),          # SYNC has no wait_data
    (isa.Sync().encode() | 1 << 8, Err.RESERVED_BITS),           # nor a unit
    (isa.Mp(rows=1, din_beats=1).encode() | 1 << 125, Err.RESERVED_BITS),
    (isa.Argmax(count=1).encode() | 1 << 96, Err.RESERVED_BITS),
    ((isa.Mp(rows=1, din_beats=1).encode() & ~0xF00) | 3 << 8, Err.BAD_UNIT),
    (isa.Ext(ext_unit=8).encode(), Err.BAD_UNIT),
    (isa.Mp(rows=0, din_beats=1).encode(), Err.BAD_OPERAND),
    (isa.Mp(rows=1, din_beats=0).encode(), Err.BAD_OPERAND),
    (isa.Mp(rows=1, din_beats=1, mode=3).encode(), Err.BAD_OPERAND),
    (isa.Lnr(d=1, mode=5).encode(), Err.BAD_OPERAND),
    (isa.Lnr(d=1, mode=7).encode(), Err.BAD_OPERAND),
    (isa.Mp(rows=1, din_beats=1, out_sel=3).encode(), Err.BAD_OPERAND),
    (isa.Mha(heads=1, out_sel=2).encode(), Err.BAD_OPERAND),
    (isa.Lnr(d=0).encode(), Err.BAD_OPERAND),
    (isa.Embed(d=0).encode(), Err.BAD_OPERAND),
    (isa.Mha(heads=0).encode(), Err.BAD_OPERAND),
    (isa.Argmax(count=0).encode(), Err.BAD_OPERAND),
    (isa.Ring(op=2).encode(), Err.BAD_OPERAND),
    (isa.Ring(op=0, vec_beats=0).encode(), Err.BAD_OPERAND),
    (isa.Ring(op=0, vec_beats=4, start=3, len=2).encode(), Err.BAD_OPERAND),
])
def test_illegal(word, cause):
    with pytest.raises(isa.IsaError) as exc:
        isa.check_word(word)
    assert exc.value.cause == cause
    with pytest.raises(isa.IsaError):
        isa.decode(word)


def test_legal_edge_cases():
    isa.check_word(isa.Lnr(d=1, mode=isa.LnrMode.LOAD).encode())
    isa.check_word(isa.Mp(rows=1, din_beats=1, out_sel=isa.OutSel.ARGMAX).encode())
    isa.check_word(isa.Mha(heads=1, out_sel=isa.OutSel.RING).encode())
    isa.check_word(isa.Ring(op=0, vec_beats=4, start=2, len=2).encode())   # slice at the end
    isa.check_word(isa.Ring(op=0, vec_beats=4, start=4, len=0).encode())   # empty slice
    isa.check_word(isa.Ring(op=0, layout=1, vec_beats=4, start=9, len=9).encode())  # strided ignores
    isa.check_word(isa.Ring(op=1).encode())                                 # argmax needs no length


def test_num_units():
    ext = isa.Ext(ext_unit=6)
    ext.validate(8)
    with pytest.raises(isa.IsaError) as exc:
        ext.validate(6)
    assert exc.value.cause == Err.BAD_UNIT
    with pytest.raises(isa.IsaError) as exc:
        isa.Sync(wait_issue=1 << 7).validate(6)
    assert exc.value.cause == Err.BAD_MASK
    with pytest.raises(isa.IsaError) as exc:
        isa.Mp(rows=1, din_beats=1, wait_data=1 << 6).validate(6)
    assert exc.value.cause == Err.BAD_MASK


def test_encode_rejects_out_of_range():
    with pytest.raises(isa.IsaError):
        isa.Mp(rows=1 << 16, din_beats=1).encode()
    with pytest.raises(isa.IsaError):
        isa.Mp(rows=1, din_beats=1, wait_issue=256).encode()
    with pytest.raises(isa.IsaError):
        isa.End(wait_issue=1).encode()
    with pytest.raises(isa.IsaError):
        isa.Sync(wait_data=1).encode()


def test_assemble_disassemble():
    prog = [isa.Embed(d=64), isa.Lnr(d=64, wait_data=1), isa.Mp(rows=3, din_beats=2, wait_data=2),
            isa.Sync(wait_issue=0xFF), isa.Nop(), isa.Ext(ext_unit=7, payload=5), isa.End()]
    img = isa.assemble(prog)
    assert len(img) == 32 * len(prog)
    assert [isa.decode(img[i:i + 32]) for i in range(0, len(img), 32)] == prog
    text = isa.disassemble(img)
    lines = text.splitlines()
    assert len(lines) == len(prog)
    assert lines[1].split(": ", 1)[1].startswith("LNR wait_data=EMBED")
    assert "EXT unit=7" in lines[5] and lines[-1].endswith("END")
    assert isa.disassemble_to_instrs(img) == prog
    bad = img[:32] + bytes(32) + img[64:]
    with pytest.raises(isa.IsaError):
        isa.disassemble_to_instrs(bad)
    assert ".word" in isa.disassemble(bad).splitlines()[1]
    with pytest.raises(isa.IsaError):
        isa.assemble(prog[:-1])                       # no END
    with pytest.raises(isa.IsaError):
        isa.assemble([isa.Mp(rows=0, din_beats=1), isa.End()])
    with pytest.raises(isa.IsaError):
        isa.disassemble(img[:40])


def test_error_code():
    assert isa.error_code(Err.SRC_DECODE, Err.BAD_OPERAND) == 0x805
    assert isa.error_code(2, 3) == 0x203


def test_sv_package_up_to_date():
    pkg = REPO / "rtl" / "sched" / "ll_isa_pkg.sv"
    assert pkg.read_text() == isa.emit_sv_package(), \
        "rtl/sched/ll_isa_pkg.sv is stale: run python -m refmodel.isa --emit-sv rtl/sched/ll_isa_pkg.sv"


def test_sv_struct_widths():
    """Every generated packed struct is exactly 256 bits wide."""
    import re

    text = isa.emit_sv_package()
    for m in re.finditer(r"typedef struct packed \{(.*?)\} (\w+)_t;", text, re.S):
        if m.group(2) == "hdr":
            continue
        widths = [int(a) - int(b) + 1 for a, b in re.findall(r"logic \[(\d+):(\d+)\]", m.group(1))]
        assert sum(widths) + 32 == 256, m.group(2)


# ---------------------------------------------------------------------------------------------- model

def test_cycle_model_basics():
    p = SchedParams(8, 4, 1)
    issue, fin = issue_cycles(10, p)
    assert issue[0] == first_issue_latency(p) == 5
    assert issue == list(range(5, 14))         # one instruction per cycle once the FIFO is primed
    assert fin == 14
    # a long memory latency is bounded by the prefetch depth (derivation in docs/scheduler.md):
    # the third burst is requested after 4 pops, so beat 8 issues latency + 6 cycles after beat 0
    issue, _ = issue_cycles(30, SchedParams(8, 4, 20))
    assert issue[:9] == [24 + k for k in range(8)] + [24 + 26]
    # END waits for the last done pulse
    assert issue_cycles(3, p, last_done=100)[1] == 101
    with pytest.raises(ValueError):
        issue_cycles(3, p, prog_base=4)
