"""Every change to the medical module's data (DESIGN.md §4: transactional, scoped, audited)."""
