"""Saved segments: named contacts filters, evaluated live."""
