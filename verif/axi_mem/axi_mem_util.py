"""Python side of the simulation memory model ``rtl/sim/ll_axi_mem_sim.sv`` (docs/memory_model.md).

Everything bulk goes through files, never beat by beat from Python:

* :func:`load_plusargs` / :func:`dump_plusarg` build the simulator plusargs that make the model load
  raw binary images at time 0 (and again on each ``load_req_i`` pulse) and dump a region on each
  ``dump_req_i`` pulse;
* :func:`write_image` / :func:`read_image` write and read those raw little-endian byte images;
* :class:`MemMirror` is a byte-addressed Python mirror (unwritten bytes read as zero, like the
  model) used by tests as the expected memory content.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

StrPath = str | PathLike[str]


def load_plusargs(name: str, images: Sequence[tuple[StrPath, int]]) -> list[str]:
    """Plusargs loading ``images`` (``(file, base byte address)`` pairs) into instance ``name``.

    Uses the indexed form ``+<name>_load<k>=<file> +<name>_base<k>=<hex>``; ``k`` must stay below
    the model's ``MaxLoads`` parameter (16 by default). Bases must be multiples of the beat size.
    """
    out: list[str] = []
    for k, (path, base) in enumerate(images):
        if base < 0:
            raise ValueError(f"negative load base {base} for {path}")
        out += [f"+{name}_load{k}={Path(path)}", f"+{name}_base{k}={base:x}"]
    return out


def dump_plusarg(name: str, path: StrPath) -> str:
    """Plusarg naming the file a ``dump_req_i`` pulse of instance ``name`` writes."""
    return f"+{name}_dump={Path(path)}"


def write_image(path: StrPath, data: bytes | bytearray | memoryview) -> Path:
    """Write a raw image (byte ``i`` of ``data`` goes to address ``base + i``); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(bytes(data))
    return p


def read_image(path: StrPath) -> bytes:
    """Read a raw image or dump file."""
    return Path(path).read_bytes()


class MemMirror:
    """Byte-addressed expected memory content; unwritten bytes read as zero (as in the model)."""

    def __init__(self) -> None:
        self._bytes: dict[int, int] = {}

    def write(self, addr: int, data: bytes | bytearray | Iterable[int],
              strb: Iterable[bool] | None = None) -> None:
        """Write ``data`` at ``addr``; with ``strb``, only bytes whose strobe is true."""
        data = bytes(data)
        mask = [True] * len(data) if strb is None else list(strb)
        if len(mask) != len(data):
            raise ValueError("strb and data differ in length")
        for i, (b, en) in enumerate(zip(data, mask)):
            if en:
                self._bytes[addr + i] = b

    def read(self, addr: int, length: int) -> bytes:
        return bytes(self._bytes.get(addr + i, 0) for i in range(length))

    def load(self, addr: int, data: bytes) -> None:
        """Same as :meth:`write` (for images loaded through files)."""
        self.write(addr, data)

    def __len__(self) -> int:
        return len(self._bytes)
