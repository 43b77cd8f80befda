"""Staff lifecycle: adding staff by role, invitations, role changes, removal, deactivation."""
