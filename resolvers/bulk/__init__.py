"""Bulk operations: a batch action over a frozen target, run chunk by chunk by the worker.

targets (freezing a target), actions (the registry), operations (start, cancel, reads),
chunks (running one chunk exactly once), progress (what watchers are told).
"""
