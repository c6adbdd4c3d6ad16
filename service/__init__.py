"""The rekap application: commands, projections, audit, persistence settings and the CLI."""
