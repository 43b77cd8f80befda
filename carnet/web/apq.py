"""Apollo's Automatic Persisted Queries, the protocol half: checking
``extensions.persistedQuery``, looking the hash up, and the not-found answers.
``carnet.web.persisted_queries`` is the store.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry.http import GraphQLRequestData

from carnet.web.persisted_queries import PersistedQueryStore
from carnet.web.protocol import GraphQLHTTPError

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
# Apollo's header for the not-found answer: a cache in between must not
# replay it once the client has registered the query.
NO_CACHE = "private, no-cache, must-revalidate"
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass
class PersistedQueryRequest(GraphQLRequestData):
    """Request data whose ``query`` came from, or goes to, the APQ store.

    ``query is None`` means the hash was unknown; ``register`` means the
    client sent the text along, to be stored once it validates.
    """

    sha256_hash: str = ""
    register: bool = False



async def resolve_persisted_query(
    store: PersistedQueryStore, data: GraphQLRequestData
) -> GraphQLRequestData:
    """``data`` as it is without ``extensions.persistedQuery``; else with its stored query."""
    persisted = (data.extensions or {}).get("persistedQuery")
    if persisted is None:
        return data
    sha256_hash = _check_persisted_query(persisted)
    streaming = data.protocol != "http"
    if data.query is None:
        query = await store.get(sha256_hash)
        if query is None and streaming:
            # A stream has no per-operation results to carry the error.
            raise persisted_query_not_found_http()
        register = False
    else:
        digest = hashlib.sha256(data.query.encode("utf-8", "surrogatepass")).hexdigest()
        if digest != sha256_hash:
            raise GraphQLHTTPError(
                400, "provided sha does not match query", code="BAD_USER_INPUT"
            )
        query = data.query
        register = True
        if streaming:
            # Streams skip execute_single(), where registration happens.
            await store.set(sha256_hash, query)
            register = False
    return PersistedQueryRequest(
        query=query,
        variables=data.variables,
        operation_name=data.operation_name,
        extensions=data.extensions,
        protocol=data.protocol,
        sha256_hash=sha256_hash,
        register=register,
    )


def _check_persisted_query(persisted: object) -> str:
    """Validate ``extensions.persistedQuery``; return its lowercase hash."""
    if not isinstance(persisted, dict):
        raise GraphQLHTTPError(400, "`extensions.persistedQuery` must be an object.")
    version = persisted.get("version")
    # bool is an int in Python: `true == 1`.
    if isinstance(version, bool) or version != 1:
        raise GraphQLHTTPError(400, "Unsupported persisted query version")
    sha256_hash = persisted.get("sha256Hash")
    if not isinstance(sha256_hash, str) or not _SHA256_HEX.fullmatch(sha256_hash):
        raise GraphQLHTTPError(
            400, "`extensions.persistedQuery.sha256Hash` must be a hex SHA-256 digest."
        )
    return sha256_hash.lower()


def persisted_query_not_found() -> GraphQLError:
    return GraphQLError("PersistedQueryNotFound", extensions={"code": PERSISTED_QUERY_NOT_FOUND})


def persisted_query_not_found_http() -> GraphQLHTTPError:
    return GraphQLHTTPError(
        200,
        "PersistedQueryNotFound",
        code=PERSISTED_QUERY_NOT_FOUND,
        headers={"cache-control": NO_CACHE},
    )
