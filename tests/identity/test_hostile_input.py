"""No 500s for anything a client can send: odd strings in every field of the identity API.

The body is sent as ASCII JSON, so lone surrogates travel as `\\ud800` escapes, exactly as
a hostile or buggy client can send them.
"""

import json

import pytest

from tests.identity.flows import (
    EMAIL_CHANGE_CONFIRM,
    EMAIL_CHANGE_REQUEST,
    MY_SESSIONS,
    REFRESH,
    REGISTER,
    RESET,
    RESET_REQUEST,
    SESSION_REVOKE,
    SIGN_IN,
    SIGN_OUT,
    USER_UPDATE,
    VERIFY,
)
from tests.support.world import PASSWORD

ODD = {
    "nul": "a\x00b",
    "lone surrogate": "a\ud800b",
    "control characters": "a\x1b[31m\x07\r\nb",
    "huge": "x" * 100_000,
    "emoji and right-to-left": "😀 \u202eabc",
    "blank": " \t ",
}

# (document, input builder): each builder puts the odd value where a real client puts text,
# with the other fields valid so that the odd one reaches the resolver and the database.
CASES = {
    "userRegister.email": (
        REGISTER,
        lambda v: {"email": v, "password": "a fine passphrase", "firstName": "A"},
    ),
    "userRegister.password": (
        REGISTER,
        lambda v: {
            "email": "odd@example.test",
            "password": "a fine passphrase" + v,
            "firstName": "A",
        },
    ),
    "userRegister.names": (
        REGISTER,
        lambda v: {
            "email": "odd@example.test",
            "password": "a fine passphrase",
            "firstName": "A" + v,
            "lastName": v,
        },
    ),
    "emailVerify.token": (VERIFY, lambda v: {"token": v}),
    "tokenCreate.email": (SIGN_IN, lambda v: {"email": v, "password": PASSWORD}),
    "tokenCreate.password": (SIGN_IN, lambda v: {"email": "loner@example.test", "password": v}),
    "tokenCreate.device": (
        SIGN_IN,
        lambda v: {"email": "loner@example.test", "password": PASSWORD, "device": v},
    ),
    "tokenRefresh.refreshToken": (REFRESH, lambda v: {"refreshToken": v}),
    "tokenRevoke.refreshToken": (SIGN_OUT, lambda v: {"refreshToken": v}),
    "sessionRevoke.id": (SESSION_REVOKE, lambda v: {"id": v}),
    "passwordResetRequest.email": (RESET_REQUEST, lambda v: {"email": v}),
    "passwordReset": (RESET, lambda v: {"token": v, "password": "a fine passphrase" + v}),
    "emailChangeRequest.newEmail": (
        EMAIL_CHANGE_REQUEST,
        lambda v: {"newEmail": v, "currentPassword": PASSWORD},
    ),
    "emailChangeRequest.currentPassword": (
        EMAIL_CHANGE_REQUEST,
        lambda v: {"newEmail": "new@example.test", "currentPassword": v},
    ),
    "emailChangeConfirm.token": (EMAIL_CHANGE_CONFIRM, lambda v: {"token": v}),
    "userUpdate.names": (USER_UPDATE, lambda v: {"firstName": "A" + v, "lastName": v}),
}


async def post_ascii_json(client, query: str, variables: dict, token: str | None):
    headers = {"content-type": "application/json", "accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables})  # ASCII, escapes kept
    return await client.post("/graphql", content=body, headers=headers)


def assert_handled(response) -> None:
    assert response.status_code < 500, response.text
    codes = [(e.get("extensions") or {}).get("code") for e in response.json().get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, response.text


def field_cases():
    for case_id, case in CASES.items():
        for odd_id, odd in ODD.items():
            yield pytest.param(*case, odd, id=f"{case_id}-{odd_id}")


@pytest.mark.parametrize("document, build, odd", list(field_cases()))
async def test_odd_text_in_any_identity_field_is_answered(client, world, document, build, odd):
    response = await post_ascii_json(client, document, {"input": build(odd)}, world.loner.token)
    assert_handled(response)


@pytest.mark.parametrize("odd", ODD.values(), ids=ODD.keys())
async def test_odd_cursors_are_answered(client, world, odd):
    for arguments in ({"first": 1, "after": odd}, {"last": 1, "before": odd}):
        assert_handled(await post_ascii_json(client, MY_SESSIONS, arguments, world.loner.token))


async def test_a_lone_surrogate_is_refused_before_anything_is_written(client, world):
    """A lone surrogate is no character: the request is refused as a whole, with a 400."""
    from models.identity import User

    password = "a fine passphrase \ud83d"
    registered = await post_ascii_json(
        client,
        REGISTER,
        {"input": {"email": "odd@example.test", "password": password, "firstName": "Odd"}},
        None,
    )
    assert registered.status_code == 400
    assert not await User.filter(email="odd@example.test").exists()
