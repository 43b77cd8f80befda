"""Duplicate contacts: the likely pairs, kept current, and merging."""
