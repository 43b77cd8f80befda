"""Mail that staff have the platform send in an organization's name (staffAdd's invitation
or access notice, invitationResend) is rationed per organization and per inviter.

Over either quota the mutation answers RATE_LIMITED with `retryAfter` and writes and sends
nothing; a refused request (invalid input, not allowed) uses no quota.
"""

import pytest

from carnet import queue
from models.audit import AuditEvent
from models.identity import OneTimeToken, User
from models.messaging import OutboxMessage
from models.staff import Invitation, StaffMembership
from models.tasks import Task
from tests.staff.flows import ACCEPT, RESEND, STAFF_ADD, add_input, invitation_links, token_of
from tests.support.worker import run_worker

PER_INVITER = 3
PER_ORGANIZATION = 5
WINDOW = 1800


@pytest.fixture
def quotas(settings, monkeypatch):
    """Small quotas, so that a test reaches them in a few requests."""
    monkeypatch.setattr(settings, "invitation_quota_per_inviter", PER_INVITER)
    monkeypatch.setattr(settings, "invitation_quota_per_organization", PER_ORGANIZATION)
    monkeypatch.setattr(settings, "invitation_quota_window_seconds", WINDOW)
    return settings


async def row_counts() -> dict[str, int]:
    models = (User, StaffMembership, Invitation, OneTimeToken, OutboxMessage, Task, AuditEvent)
    return {model.__name__: await model.all().count() for model in models}


def rate_limited(result) -> int:
    """The wait asked for: a top-level RATE_LIMITED error, no payload."""
    assert result.status == 200
    assert result.data is None, result.body
    assert result.error_codes == ["RATE_LIMITED"]
    retry_after = result.errors[0]["extensions"]["retryAfter"]
    assert WINDOW - 60 < retry_after <= WINDOW
    return retry_after


async def add(api, who, world, email: str, org: str | None = None):
    variables = add_input(world, email)
    if org is not None:
        variables["input"]["organizationId"] = org
    return await api.as_(who).execute(STAFF_ADD, variables)


async def test_an_inviter_sends_a_few_invitations_an_hour(api, world, quotas):
    for i in range(PER_INVITER):
        (await add(api, world.admin, world, f"new{i}@example.test")).ok("staffAdd")
    before = await row_counts()

    over = await add(api, world.admin, world, "one.too.many@example.test")
    rate_limited(over)
    assert await row_counts() == before
    assert not await User.filter(email="one.too.many@example.test").exists()
    await run_worker(quotas)
    assert await invitation_links("one.too.many@example.test") == []
    # Another staff member of the organization still may.
    (await add(api, world.owner, world, "one.too.many@example.test")).ok("staffAdd")


async def test_the_message_is_translated(api, world, quotas):
    for i in range(PER_INVITER):
        (await add(api, world.admin, world, f"new{i}@example.test")).ok("staffAdd")
    variables = add_input(world, "late@example.test")
    over = await api.as_(world.admin).execute(STAFF_ADD, variables, **{"accept-language": "fr"})
    wait = rate_limited(over)
    assert over.errors[0]["message"] == f"Trop de tentatives. Réessayez dans {wait} secondes."


async def test_giving_a_verified_user_access_counts_too(api, world, quotas, settings):
    """The access notice is mail in the organization's name just as an invitation is."""
    for i in range(PER_INVITER - 1):
        (await add(api, world.admin, world, f"new{i}@example.test")).ok("staffAdd")
    granted = (await add(api, world.admin, world, world.loner.user.email)).ok("staffAdd")
    assert granted["member"]["status"] == "ACTIVE"
    rate_limited(await add(api, world.admin, world, "another@example.test"))


async def test_an_organization_sends_a_few_whoever_asks(api, world, quotas):
    inviters = [world.owner, world.admin, world.owner, world.admin, world.owner]
    for i, inviter in enumerate(inviters[:PER_ORGANIZATION]):
        (await add(api, inviter, world, f"new{i}@example.test")).ok("staffAdd")
    before = await row_counts()
    # The admin has sent only two: the organization's quota is what stops them.
    rate_limited(await add(api, world.admin, world, "late@example.test"))
    assert await row_counts() == before
    # Another organization has its own.
    (await add(api, world.outsider, world, "late@example.test", world.other_org_gid)).ok(
        "staffAdd"
    )


async def test_an_inviter_s_quota_spans_their_organizations(api, world, quotas):
    """Someone who creates organization after organization is still one inviter."""
    # The owner of Club Beta makes Club Alpha's owner an owner there too.
    variables = add_input(world, world.owner.user.email, role="OWNER")
    variables["input"]["organizationId"] = world.other_org_gid
    added = await api.as_(world.outsider).execute(STAFF_ADD, variables)
    assert added.ok("staffAdd")["member"]["status"] == "ACTIVE"

    for i in range(PER_INVITER - 1):
        (await add(api, world.owner, world, f"alpha{i}@example.test")).ok("staffAdd")
    (await add(api, world.owner, world, "beta0@example.test", world.other_org_gid)).ok("staffAdd")
    rate_limited(await add(api, world.owner, world, "beta1@example.test", world.other_org_gid))
    rate_limited(await add(api, world.owner, world, "alpha9@example.test"))


async def test_a_resend_counts_and_over_the_quota_the_old_link_still_works(api, world, quotas):
    added = (await add(api, world.admin, world, "ines@example.test")).ok("staffAdd")
    invitation_id = added["invitation"]["id"]
    await run_worker(quotas)
    for _ in range(PER_INVITER - 1):
        (await api.as_(world.admin).execute(RESEND, {"id": invitation_id})).ok(
            "invitationResend"
        )
        await run_worker(quotas)
    links = await invitation_links("ines@example.test")
    assert len(links) == PER_INVITER
    invitation = await Invitation.get(email="ines@example.test")
    before = await row_counts()

    rate_limited(await api.as_(world.admin).execute(RESEND, {"id": invitation_id}))
    assert await row_counts() == before
    unchanged = await Invitation.get(id=invitation.id)
    assert (unchanged.expires_at, unchanged.send_requested_at, unchanged.token_id) == (
        invitation.expires_at,
        invitation.send_requested_at,
        invitation.token_id,
    )
    await run_worker(quotas)
    assert await invitation_links("ines@example.test") == links
    accepted = await api.execute(
        ACCEPT, {"input": {"token": token_of(links[-1]), "password": "a long new password"}}
    )
    accepted.ok("invitationAccept")


async def test_refused_requests_use_no_quota(api, world, quotas):
    for _ in range(PER_INVITER + 1):
        # Already staff here: an error in the payload, nothing sent.
        taken = await add(api, world.admin, world, world.viewer.user.email)
        assert taken.payload_codes("staffAdd") == ["ALREADY_EXISTS"]
        # An ADMIN may not add an OWNER.
        owner = add_input(world, "boss@example.test", role="OWNER")
        assert (await api.as_(world.admin).execute(STAFF_ADD, owner)).payload_codes(
            "staffAdd"
        ) == ["FORBIDDEN"]
    for i in range(PER_INVITER):
        (await add(api, world.admin, world, f"new{i}@example.test")).ok("staffAdd")


async def test_the_quota_is_back_when_its_window_is_over(api, world, quotas):
    for i in range(PER_INVITER):
        (await add(api, world.admin, world, f"new{i}@example.test")).ok("staffAdd")
    rate_limited(await add(api, world.admin, world, "later@example.test"))
    pattern = f"{quotas.redis_prefix}:mail:invitation:*"
    counters = [key async for key in queue.pool().scan_iter(match=pattern)]
    assert len(counters) == 2  # the inviter's and the organization's
    for counter in counters:
        assert 0 < await queue.pool().ttl(counter) <= WINDOW
    await queue.pool().delete(*counters)  # as their expiry would
    (await add(api, world.admin, world, "later@example.test")).ok("staffAdd")
