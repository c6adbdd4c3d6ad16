"""The offline kecamatan node: what central exports for it, how a node is made of that and kept
up to date, and how what it did goes back to central (api.md "Running")."""
