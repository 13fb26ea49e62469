"""The committed rtl/mha/ll_exp_lut.svh is exactly what verif/mha/gen_exp_lut.py makes from intops."""

import re

from refmodel import intops
from verif.mha import gen_exp_lut


def test_committed_lut_matches_intops():
    text = gen_exp_lut.LUT_PATH.read_text()
    assert text == gen_exp_lut.render(), "stale: run .venv/bin/python -m verif.mha.gen_exp_lut"
    vals = {int(r): int(v) for r, v in re.findall(r"8'd(\d+): ll_exp_lut = 17'd(\d+);", text)}
    assert vals == {r: int(x) for r, x in enumerate(intops.EXP_LUT)}
    assert vals[0] == 65536 and max(vals.values()) < (1 << 17)
