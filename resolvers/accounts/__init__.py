"""Client accounts (households): their primary, members and other account contacts, and
the access an account contact's login gets."""
