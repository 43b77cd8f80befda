"""Organizations, their profile and staff memberships."""
