"""The audit tree as tiles (c2sp.org/tlog-tiles): hash tiles and entry bundles.

Tile ``n`` at level ``l`` holds the hashes of the complete subtrees of height ``8 * l`` with
indexes ``n * 256 .. n * 256 + 255``: exactly the rows of ``audit_node`` at that level, so a tile
is one range read and never changes once full. Entry bundle ``n`` holds the leaves' entries
``n * 256 ..``, each as a big-endian uint16 length and the bytes; an entry is the event's
canonical leaf record (service/audit/leaves.py), whose leaf hash is the level-0 tile's hash.

Paths: ``tile/<l>/<n>[.p/<w>]`` and ``tile/entries/<n>[.p/<w>]``, with ``<n>`` in groups of three
digits, all but the last prefixed with ``x`` (``1234067`` is ``x001/x234/067``), and ``.p/<w>``
for a partial tile of ``w`` (1..255) hashes. An entry longer than 65,535 bytes cannot be put in a
bundle (the format's length is 16 bits): its bundle is refused, naming the entry.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from domain.errors import NotFound
from service.audit.leaves import record_bytes, record_of
from service.audit.merkle import HASH_SIZE, mth
from service.store.db import Tx
from service.store.eventlog import raw_events_between

HEIGHT = 8
WIDTH = 1 << HEIGHT
MAX_LEVEL = 63
MAX_ENTRY = 0xFFFF
ENTRIES = "entries"
_TILE = re.compile(r"tile/(entries|0|[1-9]\d?)/((?:x\d{3}/)*\d{3})(?:\.p/([1-9]\d{0,2}))?")


class EntryTooLarge(NotFound):
    code = "entry_too_large"


@dataclass(frozen=True)
class Tile:
    """A hash tile (``level`` 0..63) or an entry bundle (``level`` None) of ``width`` items."""

    level: int | None
    index: int
    width: int = WIDTH

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    @property
    def start(self) -> int:
        """The first item (hash at the tile's own level, or leaf) the tile holds."""
        return self.index * WIDTH

    def path(self) -> str:
        level = ENTRIES if self.level is None else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"

    def leaves_needed(self) -> int:
        """The tree size from which this tile can be served."""
        return (self.start + self.width) << (HEIGHT * (self.level or 0))


def encode_index(index: int) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def parse_tile_path(path: str) -> Tile:
    """The tile of a path ``tile/...``; ValueError for anything the spec does not allow."""
    found = _TILE.fullmatch(path)
    if found is None:
        raise ValueError(f"{path[:100]!r} is not a tile path (tile/<level>/<index>[.p/<width>])")
    level_text, index_text, width_text = found.groups()
    level = None if level_text == ENTRIES else int(level_text)
    if level is not None and level > MAX_LEVEL:
        raise ValueError(f"tile level {level} is above {MAX_LEVEL}")
    index = int(index_text.replace("x", "").replace("/", ""))
    if encode_index(index) != index_text:
        raise ValueError(f"tile index {index_text!r} is not in canonical form")
    width = WIDTH if width_text is None else int(width_text)
    if width_text is not None and width >= WIDTH:
        raise ValueError(f"a partial tile has 1 to {WIDTH - 1} hashes, not {width}")
    return Tile(level, index, width)


def tiles_of(size: int) -> Iterator[Tile]:
    """Every hash tile and entry bundle of a tree of ``size`` leaves, lowest level first."""
    level = 0
    while size >> (HEIGHT * level):
        count = size >> (HEIGHT * level)
        for index in range(count // WIDTH):
            yield Tile(level, index)
            if level == 0:
                yield Tile(None, index)
        if count % WIDTH:
            yield Tile(level, count // WIDTH, count % WIDTH)
            if level == 0:
                yield Tile(None, count // WIDTH, count % WIDTH)
        level += 1


def _check_served(tile: Tile, tree_size: int) -> None:
    if tile.leaves_needed() > tree_size:
        raise NotFound(
            f"{tile.path()} is beyond the audit tree, which has {tree_size} leaves "
            f"(it needs {tile.leaves_needed()})"
        )


def hash_tile(tx: Tx, tile: Tile, tree_size: int) -> bytes:
    """The bytes of a hash tile of the tree in ``audit_node`` (NotFound beyond ``tree_size``)."""
    assert tile.level is not None
    _check_served(tile, tree_size)
    rows = tx.query(
        "SELECT idx, hash FROM audit_node WHERE level = %s AND idx >= %s AND idx < %s ORDER BY idx",
        (HEIGHT * tile.level, tile.start, tile.start + tile.width),
    )
    if [r["idx"] for r in rows] != list(range(tile.start, tile.start + tile.width)):
        raise NotFound(f"{tile.path()} is not complete in the audit tree yet")
    return b"".join(bytes.fromhex(r["hash"]) for r in rows)


def tile_records(tx: Tx, tile: Tile, tree_size: int) -> list[bytes]:
    """The canonical records of the leaves of an entry bundle, in leaf order."""
    assert tile.level is None
    _check_served(tile, tree_size)
    leaves = tx.query(
        "SELECT leaf_index, position FROM audit_leaf WHERE leaf_index >= %s AND leaf_index < %s "
        "ORDER BY leaf_index",
        (tile.start, tile.start + tile.width),
    )
    if len(leaves) != tile.width:
        raise NotFound(f"{tile.path()} is not complete in the audit tree yet")
    positions = [int(r["position"]) for r in leaves]
    wanted = set(positions)
    raw = {
        r["position"]: r
        for r in raw_events_between(tx, positions[0], positions[-1])
        if r["position"] in wanted
    }
    if len(raw) != len(positions):
        raise RuntimeError(f"stored events of {tile.path()} cannot be read back")
    return [record_bytes(record_of(raw[p])) for p in positions]


def encode_bundle(entries: list[bytes], first_index: int = 0) -> bytes:
    """An entry bundle; EntryTooLarge names the first entry over 65,535 bytes."""
    parts: list[bytes] = []
    for offset, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY:
            raise EntryTooLarge(
                f"entry {first_index + offset} is {len(entry)} bytes, over the {MAX_ENTRY} an "
                "entry bundle can hold: read it from /api/v1/audit/events instead"
            )
        parts.append(struct.pack(">H", len(entry)) + entry)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; ValueError if it does not parse exactly."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError("entry bundle ends inside a length")
        (length,) = struct.unpack_from(">H", data, offset)
        offset += 2
        if offset + length > len(data):
            raise ValueError("entry bundle ends inside an entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


def entry_bundle(tx: Tx, tile: Tile, tree_size: int) -> bytes:
    return encode_bundle(tile_records(tx, tile, tree_size), tile.start)


def read_tile(tx: Tx, tile: Tile, tree_size: int) -> bytes:
    if tile.level is None:
        return entry_bundle(tx, tile, tree_size)
    return hash_tile(tx, tile, tree_size)


def split_hashes(data: bytes) -> list[bytes]:
    if len(data) % HASH_SIZE:
        raise ValueError(f"a hash tile is a multiple of {HASH_SIZE} bytes, not {len(data)}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


TileFetch = Callable[[Tile], bytes]


class TileNodeStore:
    """The NodeStore of service.audit.merkle, read from the tiles of a tree of ``size`` leaves.

    Complete subtree ``(level, index)`` is the Merkle hash of ``2 ** (level % 8)`` consecutive
    hashes of one tile at level ``level // 8``, so roots and proofs of any size up to ``size``
    come from the tiles alone (as Go's tlog.TileHashReader does). Nothing fetched is trusted:
    compare ``merkle.root(store, size)`` with a checkpoint's root before relying on the tiles.
    """

    def __init__(self, fetch: TileFetch, size: int) -> None:
        self.fetch = fetch
        self.size = size
        self._tiles: dict[Tile, list[bytes]] = {}

    def _hashes(self, tile: Tile) -> list[bytes]:
        if tile not in self._tiles:
            hashes = split_hashes(self.fetch(tile))
            if len(hashes) != tile.width:
                raise ValueError(f"{tile.path()} has {len(hashes)} hashes, not {tile.width}")
            self._tiles[tile] = hashes
        return self._tiles[tile]

    def get(self, level: int, index: int) -> bytes:
        tile_level, height = divmod(level, HEIGHT)
        first, count = index << height, 1 << height
        available = self.size >> (HEIGHT * tile_level)
        if level < 0 or index < 0 or first + count > available:
            raise KeyError((level, index))
        tile_index = first // WIDTH
        full = (tile_index + 1) * WIDTH <= available
        tile = Tile(tile_level, tile_index, WIDTH if full else available % WIDTH)
        offset = first % WIDTH
        return mth(self._hashes(tile)[offset : offset + count])

    def put_many(self, nodes: object) -> None:
        raise TypeError("tiles are read only")
