"""Contact groups: their definitions and who is in them."""
