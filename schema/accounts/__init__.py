"""Client accounts: types and queries (types.py), mutations (mutations.py)."""
