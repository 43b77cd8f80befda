"""Identity: registration, sign-in sessions, one-time tokens, the user's own profile."""
