"""Read models built from the log: each applies batches of events exactly once."""
