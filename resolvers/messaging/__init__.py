"""Outgoing messages: rendering into the outbox, and delivery by jobs."""
