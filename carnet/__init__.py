"""Carnet's infrastructure: settings, the app factory, auth primitives, providers, the CLI.

Business rules live in `resolvers/`; this package only wires the layers together.
"""
