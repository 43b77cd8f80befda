"""Test harness: the database and Redis of a run, the API client, worlds, counters."""
