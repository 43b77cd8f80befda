"""The address book: contacts, consent, groups, colours, affiliations."""
