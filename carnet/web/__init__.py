"""The HTTP side of Carnet: the app factory, the GraphQL view, websockets, GraphiQL.

Only entry points import this package (the CLI, uvicorn via ``carnet.web.asgi:app``);
the layers (schema, resolvers, models, jobs) may not (an import-linter contract).
"""
