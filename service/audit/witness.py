"""A witness of the audit log (``rekap audit witness``): check, remember, cosign, post.

An independent party (Bawaslu, KawalPemilu, a university) runs this with its own Ed25519 key.
Each round it

1. fetches the log's checkpoint and verifies the log's signature with the log's vkey it pinned;
2. reads the tiles of the new tree (c2sp.org/tlog-tiles), checks that they give the new root,
   and derives from them the root of the size it saw last and a consistency proof;
3. refuses, and keeps the evidence, when the two signed checkpoints cannot both be true: the
   same size with another root, a smaller size that is not a prefix of what it saw, or a larger
   one that does not extend it. That is a fork: the log has shown different histories;
4. otherwise stores the new checkpoint as its last seen one (before anything leaves), cosigns it
   (c2sp.org/tlog-cosignature, timestamped Ed25519) and posts it back for the log to attach.

The state is one file, the last checkpoint it cosigned, exactly as the log signed it.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.audit.checkpoint import Checkpoint, CheckpointError
from service.audit.merkle import consistency_proof, root, verify_consistency
from service.audit.note import Note, NoteError, Signer, Verifier, open_note, parse_note
from service.audit.tiles import Tile, TileNodeStore

MAX_TILE_BYTES = 4 << 20


class WitnessError(Exception):
    """The round could not be completed (network, a bad note, tiles that do not match)."""


class ForkDetected(Exception):
    """The log signed two checkpoints that cannot both be true; ``evidence`` holds both."""

    def __init__(self, message: str, evidence: Path | None) -> None:
        super().__init__(message)
        self.evidence = evidence


@dataclass(frozen=True)
class Round:
    size: int
    root: str
    previous: int | None
    cosigned: bool
    attached: bool
    message: str


def log_prefix(url: str) -> str:
    """The tlog prefix: ``http://host:port`` becomes ``http://host:port/api/v1/audit``."""
    url = url.rstrip("/")
    scheme_end = url.find("://")
    path = url[scheme_end + 3 :].partition("/")[2] if scheme_end >= 0 else ""
    return url if path else f"{url}/api/v1/audit"


def http_get(url: str, limit: int = MAX_TILE_BYTES, timeout: float = 30.0) -> bytes:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = bytes(response.read(limit + 1))
    except urllib.error.HTTPError as exc:
        raise WitnessError(f"GET {url}: HTTP {exc.code} {exc.read(300)!r}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessError(f"GET {url}: {exc}") from exc
    if len(data) > limit:
        raise WitnessError(f"GET {url}: more than {limit} bytes")
    return data


def http_post(url: str, body: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, bytes(response.read(1 << 20))
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000)
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessError(f"POST {url}: {exc}") from exc


class Witness:
    def __init__(
        self,
        prefix: str,
        log: Verifier,
        signer: Signer,
        state: Path,
        get: Callable[[str], bytes] = http_get,
        post: Callable[[str, bytes], tuple[int, bytes]] = http_post,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.log = log
        self.signer = signer
        self.state = state
        self.get = get
        self.post = post
        self.clock = clock

    def last_seen(self) -> tuple[Note, Checkpoint] | None:
        if not self.state.exists():
            return None
        return self._open(self.state.read_bytes(), f"the state file {self.state}")

    def _open(self, data: bytes, where: str) -> tuple[Note, Checkpoint]:
        try:
            note, _ = open_note(data, [self.log])
            checkpoint = Checkpoint.parse(note.text)
        except (NoteError, CheckpointError) as exc:
            message = f"{where} is not a checkpoint signed by {self.log.name}: {exc}"
            raise WitnessError(message) from exc
        if checkpoint.origin != self.log.name:
            raise WitnessError(f"{where} is of origin {checkpoint.origin!r}, not {self.log.name}")
        return Note(note.text, tuple(s for s in note.signatures if self.log.matches(s))), checkpoint

    def _fetch_tile(self, tile: Tile) -> bytes:
        return self.get(f"{self.prefix}/{tile.path()}")

    def run_once(self) -> Round:
        served = self.get(f"{self.prefix}/checkpoint")
        note, new = self._open(served, "the served checkpoint")
        held = self.last_seen()
        if held is not None:
            self._check_consistent(held, (note, new))
            mine = any(self.signer.verifier.matches(s) for s in parse_note(served).signatures)
            if new.size < held[1].size or (new.size == held[1].size and mine):
                return self._unchanged(held[1], new)
            if new.size == held[1].size:  # cosigned before, but the log does not show it: again
                return self._cosign(note, new, held[1].size)
        self._save(note)
        return self._cosign(note, new, held[1].size if held else None)

    def _check_consistent(
        self, held: tuple[Note, Checkpoint], served: tuple[Note, Checkpoint]
    ) -> None:
        (old_note, old), (new_note, new) = held, served
        if new.size == old.size:
            if new.root != old.root:
                self._fork(
                    old_note,
                    new_note,
                    f"two checkpoints of size {new.size} with roots "
                    f"{old.root.hex()} and {new.root.hex()}",
                )
            return
        small, large = (new, old) if new.size < old.size else (old, new)
        store = TileNodeStore(self._fetch_tile, large.size)
        try:
            large_root = root(store, large.size)
            proof = consistency_proof(store, small.size, large.size) if small.size else []
        except (KeyError, ValueError) as exc:
            raise WitnessError(f"the tiles of size {large.size} cannot be read: {exc}") from exc
        if large_root != large.root:
            raise WitnessError(
                f"the tiles served do not give the root of the checkpoint of size {large.size}: "
                "a broken mirror or a log serving other tiles; nothing cosigned"
            )
        if small.size and not verify_consistency(
            small.size, large.size, small.root, large.root, proof
        ):
            self._fork(
                old_note,
                new_note,
                f"the checkpoint of size {new.size} is not "
                f"consistent with the checkpoint of size {old.size} cosigned before",
            )

    def _fork(self, held: Note, served: Note, what: str) -> None:
        evidence = self.state.with_name(f"{self.state.name}.fork-{int(self.clock())}.txt")
        body = (
            f"# rekap witness: fork of {self.log.name} seen at {self.prefix}\n# {what}\n"
            "# the checkpoint this witness held:\n"
        )
        evidence.write_bytes(
            body.encode() + held.encode() + b"# the checkpoint served:\n" + served.encode()
        )
        raise ForkDetected(
            f"FORK: the log {self.log.name} signed {what}. This witness refuses to cosign; both "
            f"signed checkpoints are in {evidence}",
            evidence,
        )

    def _unchanged(self, held: Checkpoint, new: Checkpoint) -> Round:
        stale = new.size < held.size
        message = (
            f"the log serves size {new.size}, older than the size {held.size} already cosigned "
            "(a cache?), and consistent with it"
            if stale
            else f"nothing new: size {new.size} already cosigned"
        )
        return Round(new.size, new.root.hex(), held.size, False, False, message)

    def _save(self, note: Note) -> None:
        self.state.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state.with_name(f".{self.state.name}.tmp")
        with temporary.open("wb") as handle:
            handle.write(note.encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.state)

    def _cosign(self, note: Note, new: Checkpoint, previous: int | None) -> Round:
        signature = self.signer.sign(note.text, int(self.clock()))
        status, answer = self.post(
            f"{self.prefix}/checkpoint", note.with_signatures([signature]).encode()
        )
        attached = status == 200 and signature.line().encode() in answer
        where = (
            "attached by the log" if attached else f"not attached (HTTP {status}: {answer[:200]!r})"
        )
        since = "first checkpoint seen" if previous is None else f"consistent with size {previous}"
        message = f"cosigned size {new.size} ({since}); {where}"
        return Round(new.size, new.root.hex(), previous, True, attached, message)
