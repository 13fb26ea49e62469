"""Adapter so that 1-bit signals can sit in the dict buses of ``verif.lib.streams``.

In cocotb 2 a 1-bit handle's ``value`` is a ``Logic`` (no ``to_unsigned``), which the stream models'
dict read path expects. :class:`OneBit` wraps such a handle: reading ``value`` gives a 1-bit
``LogicArray``, writing passes through. (Also used by ``verif/unpack``.)
"""

from __future__ import annotations

from cocotb.types import LogicArray


class OneBit:
    def __init__(self, handle) -> None:
        self._h = handle
        self._name = getattr(handle, "_name", "bit")

    @property
    def value(self) -> LogicArray:
        return LogicArray(str(self._h.value))

    @value.setter
    def value(self, v) -> None:
        self._h.value = v
