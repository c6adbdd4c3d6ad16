"""A compact range: the root of a growing tree from O(log n) hashes, for streaming checks."""

from __future__ import annotations

from service.audit.merkle import EMPTY_ROOT, node_hash


class CompactRange:
    """The perfect subtrees covering leaves [0, size), largest first (RFC 6962 shape)."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[tuple[int, bytes]] = []  # (level, hash), levels strictly decreasing

    def append(self, leaf: bytes) -> None:
        level, value = 0, leaf
        while self._peaks and self._peaks[-1][0] == level:
            _, left = self._peaks.pop()
            value = node_hash(left, value)
            level += 1
        self._peaks.append((level, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._peaks:
            return EMPTY_ROOT
        result = self._peaks[-1][1]
        for _, value in reversed(self._peaks[:-1]):
            result = node_hash(value, result)
        return result
