"""Tamper-evident audit log: RFC 6962 Merkle tree, proofs and signed tree heads."""
