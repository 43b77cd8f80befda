"""Custom fields: forms, sections and typed questions, and contacts' answers to them."""
