"""The baseline for bench/http_overhead.py: a bare Strawberry hello-world ASGI app.

No middleware, no database, no authentication: what any Strawberry app pays per request.
"""

import strawberry
from strawberry.asgi import GraphQL


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "Hello, world"


app = GraphQL(strawberry.Schema(query=Query))
