"""Audit events as the API shows them: every id a global id, as everywhere else.

Resolvers record an event's target and the ids in its before/after values as primary keys
(the log is written inside their transactions, in terms of models); this module turns them
into the global ids a client passes back (`auditLog(filter: {targetId})`, `node(id:)`,
`contact(id:)`…) when the event is read. Old rows read the same way: nothing is migrated.

An id is recognized by its key: `<what>_id` / `<what>_ids` (`KEY_TYPES`), `id` inside a
record snapshot (`ID_TYPES`, by the key holding the snapshot, else the event's target), and
the keys of `custom_fields` maps in merge snapshots, which are CustomField ids. Records that
are not nodes (a consent record, an outbox message) get global ids of their model's name.
"""

from __future__ import annotations

from typing import Any

from schema import ids

# What an audit event's stored target type is called as a node, where the two differ.
NODE_TYPES = {"StaffMembership": "StaffMember"}
STORED_TYPES = {node: stored for stored, node in NODE_TYPES.items()}

KEY_TYPES = {
    "user_id": "User",
    "membership_id": "StaffMember",
    "organization_id": "Organization",
    "invitation_id": "Invitation",
    "session_id": "Session",
    "contact_id": "Contact",
    "contact_ids": "Contact",
    "merged_ids": "Contact",
    "person_id": "Contact",
    "organization_contact_id": "Contact",
    "affiliated_to": "Contact",
    "survivor_id": "Contact",
    "colour_id": "Colour",
    "colour_ids": "Colour",
    "group_id": "Group",
    "group_ids": "Group",
    "affiliation_id": "Affiliation",
    "form_id": "CustomForm",
    "section_id": "CustomSection",
    "field_id": "CustomField",
    "export_id": "ContactExport",
    "import_id": "ContactImport",
    "record_id": "ConsentRecord",
    "consent_record_ids": "ConsentRecord",
    "notice_message_id": "OutboxMessage",
    "reset_message_id": "OutboxMessage",
}
# The type of `id` in a snapshot held under these keys.
ID_TYPES = {"affiliations": "Affiliation", "merged": "Contact", "survivor": "Contact"}


def node_type(stored_type: str) -> str:
    return NODE_TYPES.get(stored_type, stored_type)


def stored_type(node_type_name: str) -> str:
    """The target type as recorded, for a node type named by a global id."""
    return STORED_TYPES.get(node_type_name, node_type_name)


def target_global_id(stored_target_type: str, target_id: str) -> str | None:
    """The target's global id; None for an event without a target."""
    if not stored_target_type or target_id == "":
        return None
    return ids.encode(node_type(stored_target_type), target_id)


def with_global_ids(value: Any, stored_target_type: str) -> Any:
    """A before/after value with every recognized id as a global id."""
    return _convert(value, node_type(stored_target_type) or None)


def _is_pk(value: Any) -> bool:
    return type(value) is int or (type(value) is str and value.isdigit())


def _encode(type_name: str, value: Any) -> Any:
    if _is_pk(value):
        return ids.encode(type_name, value)
    if isinstance(value, list):
        return [_encode(type_name, item) for item in value]
    return value  # null, or a shape this module does not know: shown as recorded


def _convert(value: Any, own_type: str | None) -> Any:
    """`own_type`: what an `id` key in this dict (or in the dicts of this list) names."""
    if isinstance(value, list):
        return [_convert(item, own_type) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, inner in value.items():
        if key == "id" and own_type is not None:
            converted[key] = _encode(own_type, inner)
        elif key in KEY_TYPES:
            converted[key] = _encode(KEY_TYPES[key], inner)
        elif key == "custom_fields" and isinstance(inner, dict):
            converted[key] = {
                ids.encode("CustomField", k) if k.isdigit() else k: v for k, v in inner.items()
            }
        else:
            converted[key] = _convert(inner, ID_TYPES.get(key))
    return converted
