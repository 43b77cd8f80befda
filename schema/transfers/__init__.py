"""Contact transfers: CSV imports and exports (contacts.import_export)."""
