"""Every change to reported data goes through this package (DESIGN.md §4)."""
