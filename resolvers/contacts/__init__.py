"""The address book: contacts, their consent, search and filters, user links, and the
interactions that fill it. Groups, colours, affiliations, custom fields, transfers and
duplicates are domains of their own (resolvers/<domain>/)."""
