"""File lists (``.f``): the single place that says which sources a module needs.

Format (one entry per line, paths relative to the repository root)::

    // comment            # comment too
    -f rtl/common/ll_fifo.f     include another list (also ``-F``)
    +incdir+rtl/common          include directory for `include files
    +define+NAME=VALUE          preprocessor define
    rtl/common/ll_fifo.sv       a source file

Duplicate sources and include directories are kept once, in first-seen order, so lists can include
shared lists freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FileList:
    """Resolved content of a ``.f`` file (absolute paths)."""

    sources: list[Path] = field(default_factory=list)
    includes: list[Path] = field(default_factory=list)
    defines: dict[str, str] = field(default_factory=dict)

    def add_source(self, path: Path) -> None:
        if path not in self.sources:
            self.sources.append(path)

    def add_include(self, path: Path) -> None:
        if path not in self.includes:
            self.includes.append(path)


def parse_filelist(path: str | Path, root: Path = REPO_ROOT, _into: FileList | None = None,
                   _stack: tuple[Path, ...] = ()) -> FileList:
    """Parse a ``.f`` file (recursively) into a :class:`FileList`.

    Raises ``FileNotFoundError`` naming the list that references a missing file, and
    ``ValueError`` on an include cycle or an unknown option.
    """
    path = Path(path)
    if not path.is_absolute():
        path = root / path
    path = path.resolve()
    if path in _stack:
        raise ValueError(f"file list include cycle: {' -> '.join(str(p) for p in _stack + (path,))}")
    if not path.is_file():
        where = f" (referenced from {_stack[-1]})" if _stack else ""
        raise FileNotFoundError(f"file list {path} does not exist{where}")
    out = _into if _into is not None else FileList()
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("//", 1)[0].split("#", 1)[0].strip()
        if not line:
            continue
        tokens = line.split()
        if tokens[0] in ("-f", "-F"):
            if len(tokens) != 2:
                raise ValueError(f"{path}:{lineno}: '-f' takes exactly one file list")
            parse_filelist(tokens[1], root, out, _stack + (path,))
        elif tokens[0].startswith("+incdir+"):
            for inc in tokens[0][len("+incdir+"):].split("+"):
                if inc:
                    out.add_include((root / inc).resolve())
        elif tokens[0].startswith("+define+"):
            for d in tokens[0][len("+define+"):].split("+"):
                if d:
                    name, _, value = d.partition("=")
                    out.defines[name] = value or "1"
        elif tokens[0].startswith(("-", "+")):
            raise ValueError(f"{path}:{lineno}: unsupported file list option {tokens[0]!r}")
        else:
            if len(tokens) != 1:
                raise ValueError(f"{path}:{lineno}: one source per line expected, got {line!r}")
            src = (root / tokens[0]).resolve()
            if not src.is_file():
                raise FileNotFoundError(f"{path}:{lineno}: source {tokens[0]} does not exist")
            out.add_source(src)
    return out


def find_filelist(toplevel: str, module: str | None = None, root: Path = REPO_ROOT) -> Path:
    """Find the file list of ``toplevel``.

    Looks first in ``verif/<module>/<toplevel>.f`` (testbench-only wrappers), then for exactly one
    ``rtl/**/<toplevel>.f``.
    """
    if module is not None:
        tb_list = root / "verif" / module / f"{toplevel}.f"
        if tb_list.is_file():
            return tb_list
    hits = sorted((root / "rtl").rglob(f"{toplevel}.f"))
    if not hits:
        raise FileNotFoundError(
            f"no file list for toplevel {toplevel!r}: expected rtl/<group>/{toplevel}.f"
            + (f" or verif/{module}/{toplevel}.f" if module else ""))
    if len(hits) > 1:
        raise ValueError(f"several file lists for {toplevel!r}: {[str(h) for h in hits]}")
    return hits[0]


def all_rtl_filelists(root: Path = REPO_ROOT) -> list[Path]:
    """Every ``rtl/**/*.f`` file list, sorted (one per top; used by lint)."""
    return sorted((root / "rtl").rglob("*.f"))
