"""The tamper-evident log as a service: tree heads, the public key, inclusion and consistency.

Proofs are read from the audit tree kept by service.read.projections.merkle, so they cover the log
as far as that projection has applied it. Every answer is also a document that
`rekap audit check-proof` verifies offline (see service.audit.proofcheck).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.errors import FieldError, InvalidInput, NotFound
from service.audit.checkpoint import log_verifier
from service.audit.leaves import record_of
from service.audit.merkle import consistency_proof, inclusion_proof, root
from service.audit.note import Verifier
from service.audit.signing import TreeHead, TreeHeadSigner, load_or_create_signing_key
from service.bootstrap import Services
from service.read.projections.merkle import (
    HEAD_COLUMNS,
    HEAD_INTERVAL,
    TxNodeStore,
    latest_head,
    publish_head,
    tree_size,
)
from service.store.eventlog import raw_events_at


class AuditLog:
    def __init__(self, services: Services) -> None:
        self.services = services
        # Reads in a read session go to its replica; a head signed on demand goes to the
        # primary, and the session reads the primary from then on.
        self.db = services.reads
        self._signer: TreeHeadSigner | None = None

    @classmethod
    def of(cls, services: Services) -> AuditLog:
        """The audit log of these services (it reads the signing key when it first signs)."""
        return cls(services)

    @property
    def signer(self) -> TreeHeadSigner:
        if self._signer is None:
            self._signer = load_or_create_signing_key(self.services.settings.audit_key)
        return self._signer

    @property
    def origin(self) -> str:
        return self.services.settings.log_origin

    def verifier(self) -> Verifier:
        """The note verifier of the log's checkpoints (its vkey is what witnesses pin)."""
        return log_verifier(self.origin, self.signer.public_key)

    def public_key(self) -> dict[str, str]:
        signer = self.signer
        return {
            "key_id": signer.key_id,
            "algorithm": "Ed25519",
            "public_key": signer.public_key_b64(),
            "pem": signer.public_pem().decode("ascii"),
            "origin": self.origin,
            "vkey": self.verifier().vkey(),
        }

    # -- tree heads ----------------------------------------------------------------------------

    def size(self) -> int:
        with self.db.transaction(write=False) as tx:
            return tree_size(tx)

    def publish(self) -> TreeHead | None:
        """Sign a head at the current size now (none if the tree is empty or has not grown)."""
        with self.db.transaction() as tx:
            return publish_head(tx, self.signer, origin=self.origin)

    def latest(self) -> TreeHead:
        """The latest signed head; signs one first (on demand) if there is none yet, or if the
        tree grew and the latest is older than the publishing interval."""
        with self.db.transaction(write=False) as tx:
            head = latest_head(tx)
            size = tree_size(tx)
        if head is None or (head.size < size and _age(head) >= HEAD_INTERVAL):
            head = self.publish() or head
        if head is None:
            raise NotFound("the audit log is empty: no tree head has been signed yet")
        return head

    def head_of_size(self, size: int) -> TreeHead | None:
        rows = self.db.query(
            f"SELECT {HEAD_COLUMNS} FROM audit_tree_head WHERE size = %s",
            (size,),
        )
        return TreeHead(**rows[0]) if rows else None

    def heads(self) -> list[TreeHead]:
        rows = self.db.query(f"SELECT {HEAD_COLUMNS} FROM audit_tree_head ORDER BY size")
        return [TreeHead(**r) for r in rows]

    def root(self, size: int) -> str:
        with self.db.transaction(write=False) as tx:
            self._check_size(tree_size(tx), size, "size")
            return root(TxNodeStore(tx), size).hex()

    # -- proofs ----------------------------------------------------------------------------------

    def inclusion(self, position: int, size: int | None = None) -> dict[str, Any]:
        """The audit path of the event at log `position` in the tree of `size` leaves.

        `size` defaults to the latest signed head; with the head of that size, the answer is a
        complete document for `rekap audit check-proof`.
        """
        if size is None:
            size = self.latest().size
        with self.db.transaction(write=False) as tx:
            self._check_size(tree_size(tx), size, "size")
            found = tx.query(
                "SELECT leaf_index, leaf_hash FROM audit_leaf WHERE position = %s", (position,)
            )
            if not found:
                raise NotFound(f"no event at log position {position} in the audit tree")
            index = int(found[0]["leaf_index"])
            if index >= size:
                raise InvalidInput(
                    f"the event at position {position} is leaf {index}, not in a tree of size "
                    f"{size}"
                )
            store = TxNodeStore(tx)
            proof = inclusion_proof(store, index, size)
            tree_root = root(store, size).hex()
        raw = raw_events_at(self.db, [position])
        return {
            "position": position,
            "record": record_of(raw[0]) if raw else None,
            "root": tree_root,
            "tree_head": self._head_dict(size),
            "public_key": self.signer.public_key_b64(),
            "inclusion": {
                "leaf_hash": found[0]["leaf_hash"],
                "index": index,
                "size": size,
                "proof": [p.hex() for p in proof],
            },
        }

    def consistency(self, first: int, second: int | None = None) -> dict[str, Any]:
        if second is None:
            second = self.latest().size
        with self.db.transaction(write=False) as tx:
            size = tree_size(tx)
            self._check_size(size, first, "first")
            self._check_size(size, second, "second")
            if first > second:
                raise InvalidInput(f"first ({first}) must not be larger than second ({second})")
            store = TxNodeStore(tx)
            proof = consistency_proof(store, first, second)
            first_root, second_root = root(store, first).hex(), root(store, second).hex()
        document: dict[str, Any] = {
            "tree_head": self._head_dict(second),
            "public_key": self.signer.public_key_b64(),
            "consistency": {
                "first": first,
                "second": second,
                "first_root": first_root,
                "second_root": second_root,
                "proof": [p.hex() for p in proof],
            },
        }
        first_head = self._head_dict(first)
        if first_head is not None:
            document["first_tree_head"] = first_head
        return document

    def _head_dict(self, size: int) -> dict[str, Any] | None:
        head = self.head_of_size(size)
        return head.to_dict() if head else None

    def _check_size(self, tree: int, size: int, name: str) -> None:
        if size < 1:
            raise InvalidInput(f"{name} must be 1 or more", [FieldError(name, "1 or more")])
        if size > tree:
            self.db.short_of(f"a tree of {size} leaves")
            message = f"{name} {size} is beyond the audit tree, which has {tree} leaves"
            raise InvalidInput(message, [FieldError(name, message)])


def _age(head: TreeHead) -> float:
    signed = datetime.strptime(head.timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return (datetime.now(UTC) - signed).total_seconds()
