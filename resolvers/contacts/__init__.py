"""The address book: contacts, their consent, search and filters, user links, and the
interactions that fill it (groups, colours and affiliations live beside these modules)."""
