"""The address book: contacts, consent, search, user links, interactions."""
