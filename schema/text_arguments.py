"""Text arguments cleaned once, where they enter the schema, for reads as for writes.

Every string in every field's arguments — String and ID arguments, fields of input objects,
list items, strings inside JSON values; written inline or sent as variables — passes here
before any resolver sees it: control characters are removed (newlines and tabs kept, as
multi-line writes keep them; one-line fields drop those too, in `clean_text`), and a lone
surrogate or a string longer than any field stores is refused. Neither can then reach SQL,
where PostgreSQL refuses NUL and SQLite long LIKE patterns.

A refused argument of a mutation answers its payload's `errors` (nothing is written); of
any other field, a top-level BAD_USER_INPUT.

A subscription's root field is the one exception to "every field": graphql-core starts its
stream by calling the field's `subscribe` function directly, never through the middleware,
so `clean_subscription_arguments` wraps those functions with the same cleaning.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, get_nullable_type
from strawberry.schema.schema_converter import GraphQLCoreConverter

from carnet.i18n import N_, translate
from resolvers.common.errors import BadUserInput, FieldError, UserErrorCode
from resolvers.common.validation import without_control_characters
from schema.errors import user_errors
from schema.payloads import Payload

# The longest text any field stores (a contact's notes); ids, cursors, search text and
# filters are all far shorter. Longer, a string could only fill memory and SQL.
MAX_TEXT_LENGTH = 10_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(Exception):
    def __init__(self, error: FieldError):
        self.error = error


def clean_text_arguments(schema: GraphQLSchema) -> None:
    """Wraps the resolver of every field that takes arguments (and of no other) so that it
    sees them as graphql-core coerced them from the document and the variables, cleaned,
    before Strawberry turns them into input objects: one walk covers every way a string
    can arrive. Fields without arguments — every field of a page's rows — run untouched."""
    for named_type in schema.type_map.values():
        if isinstance(named_type, GraphQLObjectType) and not named_type.name.startswith("__"):
            for field in named_type.fields.values():
                if field.args and field.resolve is not None:
                    field.resolve = _cleaning_resolver(field.resolve)


def _cleaning_resolver(resolve):
    def resolve_cleaned(root, info: GraphQLResolveInfo, **kwargs: Any):
        if not kwargs:
            return resolve(root, info)
        try:
            cleaned = {name: _clean(value, (name,)) for name, value in kwargs.items()}
        except _Refused as refused:
            return _refusal_in_callers_language(info, refused.error)
        return resolve(root, info, **cleaned)

    return resolve_cleaned


def clean_subscription_arguments(schema: GraphQLSchema) -> None:
    """Wraps the `subscribe` function of every subscription field of `schema` (once built)
    so its arguments are cleaned, or refused with BAD_USER_INPUT, as `clean_text_arguments`
    does for every other field: graphql-core calls `subscribe`, not the resolver."""
    if schema.subscription_type is None:
        return
    for field in schema.subscription_type.fields.values():
        if field.subscribe is not None:
            field.subscribe = _cleaning(field.subscribe)


def _cleaning(subscribe):
    def cleaned_subscribe(root, info: GraphQLResolveInfo, *args: Any, **kwargs: Any):
        try:
            cleaned = {name: _clean(value, (name,)) for name, value in kwargs.items()}
        except _Refused as refused:
            return _refusal_in_callers_language(info, refused.error)
        return subscribe(root, info, *args, **cleaned)

    return cleaned_subscribe


def _clean(value: Any, path: tuple[str | int, ...]) -> Any:
    # `type(...) is str`: enum values may be str subclasses, and are never client text.
    if type(value) is str:
        return _clean_text(value, path)
    if isinstance(value, dict):
        return {key: _clean(inner, (*path, key)) for key, inner in value.items()}
    if isinstance(value, list):
        return [_clean(inner, (*path, index)) for index, inner in enumerate(value)]
    return value


def _clean_text(text: str, path: tuple[str | int, ...]) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise _Refused(
            FieldError(
                UserErrorCode.TOO_LONG,
                path,
                N_("Use at most {max} characters."),
                {"max": MAX_TEXT_LENGTH},
            )
        )
    if _LONE_SURROGATE.search(text):
        # Half of a UTF-16 pair is no character: no database or encoder accepts it.
        raise _Refused(
            FieldError(UserErrorCode.INVALID, path, N_("This text is not valid Unicode."))
        )
    return without_control_characters(text, keep_lines=True)


async def _refusal_in_callers_language(info: GraphQLResolveInfo, error: FieldError):
    # Refused before the field's guard looked the caller up: their locale is the message's
    # when the request names none.
    sign_in = getattr(info.context, "sign_in", None)
    if sign_in is not None:
        await sign_in()
    return _refusal(info, error)


def _refusal(info: GraphQLResolveInfo, error: FieldError):
    payload_class = _payload_class(info)
    locale = getattr(info.context, "locale", "en")
    if payload_class is not None:
        return payload_class(errors=user_errors([error], locale))
    raise BadUserInput(
        N_("Invalid argument {argument}: {problem}"),
        argument=".".join(str(part) for part in error.field),
        problem=translate(error.message, locale, **error.params),
    )


def _payload_class(info: GraphQLResolveInfo) -> type[Payload] | None:
    """The Strawberry payload class a mutation returns, if it returns one."""
    if info.parent_type is not info.schema.mutation_type:
        return None
    returned = get_nullable_type(info.return_type)
    definition = returned.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, Payload) else None
