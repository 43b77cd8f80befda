"""Affiliations of PERSON contacts to ORGANIZATION contacts, with a role title."""
