"""Requests generated from the SDL: every text argument of every root field, one at a time.

`text_slots` walks a root field's arguments, into input objects and lists, and yields the
path of every place a client can put text (String, ID, and JSON, which can hold a string).
`Call` builds that field's arguments with the slot holding a given value and every other
required argument filled with a valid one (`Fillers`), so the field runs and the value
reaches the resolver and the database; it renders the call with the arguments as variables
or written inline in the document.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    ast_from_value,
    build_schema,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    print_ast,
)

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
TEXT_SCALARS = {"String", "ID", "JSON"}
# Paging and a few nested objects are followed deeper than plain fields, so a connection's
# rows and a payload's errors are selected and the queries behind them run.
FOLLOWED = {"edges", "node", "errors", "pageInfo"}


def load_schema() -> GraphQLSchema:
    return build_schema(SDL.read_text())


@dataclass(frozen=True)
class Slot:
    root: str  # "Query" or "Mutation"
    field_name: str
    path: tuple[str, ...]  # argument name, then input field names
    scalar: str  # String, ID or JSON

    @property
    def name(self) -> str:
        return self.path[-1]

    def __str__(self) -> str:
        return f"{self.field_name}({'.'.join(self.path)})"


def text_slots(schema: GraphQLSchema, root: str) -> Iterator[tuple[GraphQLField, Slot]]:
    root_type = schema.get_type(root)
    assert isinstance(root_type, GraphQLObjectType)
    for field_name, root_field in root_type.fields.items():
        for arg_name, argument in root_field.args.items():
            for path, scalar in _slots_in(argument.type, (arg_name,), ()):
                yield root_field, Slot(root, field_name, path, scalar)


def _slots_in(type_, path: tuple[str, ...], seen: tuple[str, ...]):
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType) and named.name in TEXT_SCALARS:
        yield path, named.name
    elif isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        for name, input_field in named.fields.items():
            yield from _slots_in(input_field.type, (*path, name), (*seen, named.name))


class Upload:
    """Stands for a file part: the call is then sent as a multipart request."""


@dataclass
class Fillers:
    """Valid values for arguments that are not under test, by argument name.

    `ids` maps an ID argument's name to a global id, or to a function of the root field's
    name (an `id` means a different record in each field); `texts` does the same for
    required String arguments (a function receives a counter, for unique values).
    """

    ids: dict[str, str | Callable[[str], str]]
    texts: dict[str, str | Callable[[int], str]] = field(default_factory=dict)
    enums: dict[str, str] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def value(self, field_name: str, name: str, type_) -> Any:
        named = get_named_type(type_)
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            return [self.value(field_name, name, type_.of_type)]
        if isinstance(named, GraphQLInputObjectType):
            return self.input_object(field_name, named, {})
        if isinstance(named, GraphQLEnumType):
            return self.enums.get(named.name, next(iter(named.values)))
        return self.scalar(field_name, name, named)

    def scalar(self, field_name: str, name: str, named: GraphQLNamedType) -> Any:
        if named.name == "ID":
            found = self.ids.get(f"{field_name}.{name}", self.ids.get(name))
            if found is None:
                raise LookupError(f"no valid id for {field_name}: {name}; add one to Fillers")
            return found(field_name) if callable(found) else found
        if named.name in ("String", "JSON"):
            text = self.texts.get(name, "Hostile test")
            return text(next(self.counter)) if callable(text) else text
        return {
            "Boolean": False,
            "Int": 1,
            "Date": "2031-01-15",
            "DateTime": "2031-01-15T12:00:00Z",
            "Upload": Upload(),
        }[named.name]

    def input_object(
        self, field_name: str, type_: GraphQLInputObjectType, given: dict[str, Any]
    ) -> dict[str, Any]:
        """The required fields (without a default) filled, then `given` on top."""
        values = {
            name: self.value(field_name, name, f.type)
            for name, f in type_.fields.items()
            if _required(f)
        }
        return {**values, **given}


def _required(argument: GraphQLArgument | GraphQLInputField) -> bool:
    return is_non_null_type(argument.type) and argument.default_value is Undefined


@dataclass
class Call:
    slot: Slot
    root_field: GraphQLField
    arguments: dict[str, Any]

    @classmethod
    def build(cls, root_field: GraphQLField, slot: Slot, value: Any, fillers: Fillers) -> Call:
        arguments = {
            name: fillers.value(slot.field_name, name, argument.type)
            for name, argument in root_field.args.items()
            if _required(argument)
        }
        arg_name, *inner = slot.path
        arg_type = root_field.args[arg_name].type
        arguments[arg_name] = _place(slot.field_name, arg_type, inner, value, fillers)
        return cls(slot, root_field, arguments)

    @property
    def has_upload(self) -> bool:
        return any(path for path, _ in _uploads(self.arguments, ()))

    def document(self, selection: str, *, inline: bool) -> tuple[str, dict[str, Any]]:
        """The operation, and its variables (none when the arguments are written inline)."""
        operation = "query" if self.slot.root == "Query" else "mutation"
        if inline:
            args = ", ".join(
                f"{name}: {print_ast(ast_from_value(value, self.root_field.args[name].type))}"
                for name, value in self.arguments.items()
            )
            return f"{operation} {{ {self.slot.field_name}({args}) {selection} }}", {}
        declared = ", ".join(
            f"${name}: {self.root_field.args[name].type}" for name in self.arguments
        )
        args = ", ".join(f"{name}: ${name}" for name in self.arguments)
        variables = {name: _null_uploads(value) for name, value in self.arguments.items()}
        return (
            f"{operation}({declared}) {{ {self.slot.field_name}({args}) {selection} }}",
            variables,
        )

    def upload_paths(self) -> list[str]:
        return [".".join(str(p) for p in path) for path, _ in _uploads(self.arguments, ())]


def _place(field_name: str, type_, path: list[str], value: Any, fillers: Fillers) -> Any:
    """`value` at `path` inside a valid value of `type_` (lists get one element)."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [_place(field_name, type_.of_type, path, value, fillers)]
    if not path:
        return value
    named = get_named_type(type_)
    assert isinstance(named, GraphQLInputObjectType)
    head, *rest = path
    placed = _place(field_name, named.fields[head].type, rest, value, fillers)
    return fillers.input_object(field_name, named, {head: placed})


def _uploads(value: Any, path: tuple):
    if isinstance(value, Upload):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _uploads(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _uploads(inner, (*path, index))


def _null_uploads(value: Any) -> Any:
    if isinstance(value, Upload):
        return None
    if isinstance(value, dict):
        return {k: _null_uploads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_null_uploads(v) for v in value]
    return value


def selection(type_, depth: int = 2) -> str:
    """Every leaf without required arguments, objects `depth` levels down (further along
    connections and payload errors), so what the field computes lazily is computed too."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    parts = ["__typename"]
    if isinstance(named, GraphQLObjectType) and depth > 0:
        for name, sub in named.fields.items():
            if any(_required(a) for a in sub.args.values()):
                continue
            if is_leaf_type(get_named_type(sub.type)):
                parts.append(name)
            elif depth > 1 or name in FOLLOWED:
                parts.append(name + " " + selection(sub.type, depth - 1))
    return "{ " + " ".join(parts) + " }"
