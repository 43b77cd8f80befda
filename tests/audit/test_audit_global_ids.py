"""The audit log speaks global ids: `targetId` is what `filter.targetId` and `node(id:)`
take, and ids of records inside `before`/`after` are global ids too."""

from __future__ import annotations

from schema import ids
from tests.staff.flows import ACCEPT, STAFF_ADD, add_input, invitation_links, token_of
from tests.support.worker import run_worker

AUDIT = """query($o: ID!, $filter: AuditLogFilter) {
  auditLog(organizationId: $o, filter: $filter, first: 100) {
    edges { node { action targetType targetId before after } } } }"""
ERRORS = "errors { code field message }"
CONTACT_CREATE = f"""mutation($input: ContactCreateInput!) {{
  contactCreate(input: $input) {{ contact {{ id }} {ERRORS} }} }}"""
GROUP_CREATE = f"""mutation($o: ID!) {{
  groupCreate(input: {{organizationId: $o, name: "Juniors"}}) {{ group {{ id }} {ERRORS} }} }}"""
GROUP_ADD = f"""mutation($g: ID!, $c: [ID!]!) {{
  groupAddContacts(input: {{groupId: $g, contactIds: $c}}) {{ addedCount {ERRORS} }} }}"""
AFFILIATE = f"""mutation($p: ID!, $o: ID!) {{
  affiliationCreate(input: {{personId: $p, organizationContactId: $o, roleTitle: "Coach"}}) {{
    affiliation {{ id }} {ERRORS} }} }}"""
MERGE = f"""mutation($s: ID!, $o: [ID!]!) {{
  contactMerge(input: {{survivorId: $s, otherIds: $o}}) {{ contact {{ id }} {ERRORS} }} }}"""
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


async def _events(api, world, **filter_) -> list[dict]:
    result = await api.as_(world.owner).execute(
        AUDIT, {"o": world.org_gid, "filter": filter_ or None}
    )
    return [edge["node"] for edge in result.payload("auditLog")["edges"]]


def _one(events: list[dict], action: str) -> dict:
    [event] = [e for e in events if e["action"] == action]
    return event


async def _flows(api, world, settings) -> dict[str, str]:
    """Staff added and joined, contacts created, grouped, affiliated and merged."""
    admin = api.as_(world.admin)
    email = "nora@example.test"
    added = (await admin.execute(STAFF_ADD, add_input(world, email))).ok("staffAdd")
    await run_worker(settings)
    [link] = await invitation_links(email)
    answer = {"token": token_of(link), "password": "a long new password"}
    (await api.execute(ACCEPT, {"input": answer})).ok("invitationAccept")

    async def contact(**fields) -> str:
        given = {"input": {"organizationId": world.org_gid, **fields}}
        return (await admin.execute(CONTACT_CREATE, given)).ok("contactCreate")["contact"]["id"]

    first = await contact(firstName="Léa", lastName="Roy", email="lea@example.test")
    second = await contact(firstName="Léa", lastName="Roy", phone="+15145550111")
    school = await contact(kind="ORGANIZATION", organizationName="École Saint-Jean")
    group = (await admin.execute(GROUP_CREATE, {"o": world.org_gid})).ok("groupCreate")
    group_id = group["group"]["id"]
    (await admin.execute(GROUP_ADD, {"g": group_id, "c": [first, second]})).ok("groupAddContacts")
    (await admin.execute(AFFILIATE, {"p": second, "o": school})).ok("affiliationCreate")
    (await admin.execute(MERGE, {"s": first, "o": [second]})).ok("contactMerge")
    return {
        "member": added["member"]["id"],
        "invitation": added["invitation"]["id"],
        "first": first,
        "second": second,
        "school": school,
        "group": group_id,
    }


def _ids_in(value, key: str = "") -> list[tuple[str, object]]:
    """Every (key, value) whose key names an id or ids, anywhere in a before/after value."""
    found = []
    if isinstance(value, dict):
        for inner_key, inner in value.items():
            found += _ids_in(inner, inner_key)
    elif isinstance(value, list):
        for inner in value:
            found += _ids_in(inner, key)
    elif value is not None and (key == "id" or key.endswith(("_id", "_ids"))):
        found.append((key, value))
    return found


async def test_target_ids_are_global_ids_the_filter_takes(api, world, settings):
    made = await _flows(api, world, settings)
    events = await _events(api, world)
    add = _one(events, "staff.add")
    assert (add["targetType"], add["targetId"]) == ("StaffMember", made["member"])
    accept = _one(events, "staff.invitation_accept")
    assert accept["targetId"] == made["invitation"]
    # The id read from an event finds that event (and the member's other events).
    by_member = await _events(api, world, targetId=add["targetId"])
    assert "staff.add" in {e["action"] for e in by_member}
    assert {e["targetId"] for e in by_member} == {made["member"]}
    node = await api.as_(world.owner).execute(NODE, {"id": add["targetId"]})
    assert node.payload("node") == {"__typename": "StaffMember", "id": made["member"]}


async def test_ids_inside_before_and_after_are_global_ids(api, world, settings):
    made = await _flows(api, world, settings)
    events = await _events(api, world)
    user_gid = ids.encode("User", (await _user_pk("nora@example.test")))
    assert _one(events, "staff.add")["after"]["user_id"] == user_gid
    accept = _one(events, "staff.invitation_accept")["after"]
    assert accept["membership_id"] == made["member"]
    assert accept["membership"]["user_id"] == user_gid
    added = _one(events, "group.add_contacts")
    assert added["targetId"] == made["group"]
    assert sorted(added["after"]["contact_ids"]) == sorted([made["first"], made["second"]])
    merge = _one(events, "contact.merge")
    assert merge["targetId"] == made["first"] and merge["after"]["id"] == made["first"]
    [merged] = merge["before"]["merged"]
    assert merged["id"] == made["second"]
    [affiliation] = merged["affiliations"]
    assert affiliation["organization_contact_id"] == made["school"]
    assert ids.decode(affiliation["id"])[0] == "Affiliation"
    # And no raw database number anywhere, in any event of the flow.
    for event in events:
        for side in ("before", "after"):
            for key, value in _ids_in(event[side]):
                for one in value if isinstance(value, list) else [value]:
                    assert isinstance(one, str) and ids.decode(one)[1] > 0, (event, key)


async def _user_pk(email: str) -> int:
    from models.identity import User

    return (await User.get(email=email)).id
