"""A static mirror of the log (``rekap audit tiles DIR``): checkpoint, tiles and entry bundles.

The directory is laid out as c2sp.org/tlog-tiles serves it, so any web server or CDN serving it
at a prefix is a tlog: ``DIR/checkpoint``, ``DIR/tile/<l>/<n>[.p/<w>]``, ``DIR/tile/entries/..``.
It is written incrementally: a full tile never changes, so one already present is kept; the
partial tiles of the new size are written, the partial tiles of a tile now full are removed, and
the checkpoint is replaced last (atomically), so the mirror never names a tile it lacks.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from domain.errors import NotFound
from service.audit.cosignatures import checkpoint_note
from service.audit.log import AuditLog
from service.audit.tiles import EntryTooLarge, read_tile, tiles_of


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_mirror(
    audit: AuditLog, directory: Path, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Bring ``directory`` up to the latest checkpoint (signed now if the tree has grown)."""
    audit.publish()
    head = audit.latest()
    if head.origin is None:
        raise NotFound(f"the latest tree head (size {head.size}) predates checkpoints")
    note = checkpoint_note(audit, head)
    tiles = list(tiles_of(head.size))
    written = kept = 0
    too_large: list[str] = []
    for done, tile in enumerate(tiles, start=1):
        path = directory / tile.path()
        if tile.full and path.exists() and (tile.level is None or path.stat().st_size == 8192):
            kept += 1
        else:
            try:
                with audit.db.transaction(write=False) as tx:
                    data = read_tile(tx, tile, head.size)
            except EntryTooLarge as exc:
                too_large.append(f"{tile.path()}: {exc.message}")
                continue
            _write(path, data)
            written += 1
            if tile.full:
                shutil.rmtree(path.with_name(f"{path.name}.p"), ignore_errors=True)
        if progress is not None and (done % 100 == 0 or done == len(tiles)):
            progress(done)
    _write(directory / "checkpoint", note.encode())
    return {
        "size": head.size,
        "origin": head.origin,
        "tiles": len(tiles),
        "written": written,
        "kept": kept,
        "bundles_too_large": too_large,
    }
