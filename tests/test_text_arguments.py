"""What the schema boundary does to text arguments (schema/text_arguments.py), seen from a
client: control characters gone before searches and writes, newlines kept where a field
keeps lines, overlong text and lone surrogates refused clearly, on every transport (POST,
GET, persisted queries). tests/test_hostile_arguments.py sends the same to every field."""

from __future__ import annotations

import hashlib
import json

from models.contacts import Contact
from models.identity import User
from schema import ids
from schema.text_arguments import MAX_TEXT_LENGTH
from tests.contacts.contact_flows import CREATE, LIST, create, create_input, names
from tests.identity.flows import REGISTER

SEARCH = "query($o: ID!, $s: String) { contacts(organizationId: $o, search: $s) { edges { node { displayName } } } }"  # noqa: E501


async def post_ascii_json(client, body: dict, token: str | None = None):
    headers = {"content-type": "application/json", "accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.post("/graphql", content=json.dumps(body), headers=headers)


async def test_control_characters_are_gone_before_a_search_runs(api, world):
    await create(api, world, firstName="Ann", lastName="Lee")
    found = await api.as_(world.agent).execute(
        LIST, {"o": world.org_gid, "search": "A\x00n\x1bn"}
    )
    assert names(found) == ["Ann Lee"]


async def test_inline_text_is_cleaned_like_variables(api, world):
    await create(api, world, firstName="Ann", lastName="Lee")
    inline = f'{{ contacts(organizationId: "{world.org_gid}", search: "A\\u0000nn") {{ edges {{ node {{ displayName }} }} }} }}'  # noqa: E501
    assert names(await api.as_(world.agent).execute(inline)) == ["Ann Lee"]


async def test_a_multi_line_field_keeps_its_lines_and_loses_the_rest(api, world):
    contact = await create(api, world, firstName="Ann", notes="line one\n\tline two\x00\x07\r")
    assert contact["notes"] == "line one\n\tline two"
    assert (await Contact.get(id=ids.decode(contact["id"])[1])).notes == "line one\n\tline two"


async def test_overlong_text_is_a_payload_error_in_a_mutation(api, world):
    result = await api.as_(world.admin).execute(
        CREATE, create_input(world, firstName="Ann", notes="x" * (MAX_TEXT_LENGTH + 1))
    )
    [error] = result.payload("contactCreate")["errors"]
    assert error == {
        "code": "TOO_LONG",
        "field": ["input", "notes"],
        "message": f"Use at most {MAX_TEXT_LENGTH} characters.",
    }
    assert await Contact.all().count() == 0


async def test_overlong_text_is_bad_user_input_in_a_query_in_the_readers_language(api, world):
    variables = {"o": world.org_gid, "s": "x" * (MAX_TEXT_LENGTH + 1)}
    result = await api.as_(world.agent).execute(SEARCH, variables, **{"accept-language": "fr"})
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["message"] == (
        f"Argument search invalide : Utilisez au plus {MAX_TEXT_LENGTH} caractères."
    )


async def test_a_lone_surrogate_is_refused_before_anything_is_written(client):
    """JSON can escape half of a UTF-16 pair ("\\ud83d"), which is no character: the whole
    request is refused with a 400."""
    variables = {"input": {"email": "odd@example.test", "password": "a fine passphrase \ud83d",
                           "firstName": "Odd"}}
    registered = await post_ascii_json(client, {"query": REGISTER, "variables": variables})
    assert registered.status_code == 400
    assert not await User.filter(email="odd@example.test").exists()


async def test_get_query_strings_are_cleaned_too(client, world):
    await Contact.create(organization=world.organization, first_name="Ann", sort_name="ann")
    params = {"query": SEARCH, "variables": json.dumps({"o": world.org_gid, "s": "\x00"})}
    headers = {"authorization": f"Bearer {world.agent.token}", "accept": "application/json"}
    response = await client.get("/graphql", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json()
    surrogate = {"query": SEARCH, "variables": '{"o": "x", "s": "\\ud800"}'}
    assert (await client.get("/graphql", params=surrogate, headers=headers)).status_code == 400


async def test_persisted_queries_with_hostile_text_are_stored_and_run(client, world):
    query = SEARCH.replace("$s: String)", '$s: String = "\\u0000%_")')
    sha = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    variables = {"o": world.org_gid}
    for body in (
        {"query": query, "variables": variables, "extensions": extensions},  # registers
        {"variables": {**variables, "s": "a\x00"}, "extensions": extensions},  # by hash
    ):
        response = await post_ascii_json(client, body, world.agent.token)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
