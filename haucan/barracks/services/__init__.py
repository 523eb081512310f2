"""Every change to the barracks registry (DESIGN.md §4): land, cases, buildings, import."""
