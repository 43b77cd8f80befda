"""Privacy requests: a person's data exported (registry.py, export.py) and erased
(erasure.py), on request or when the organization's retention has passed (retention.py)."""
