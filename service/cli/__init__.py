"""The `rekap` command line: one module per command group (service/cli/main.py joins them)."""
