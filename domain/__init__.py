"""The rekap domain model: pure rules and aggregates, no I/O."""
