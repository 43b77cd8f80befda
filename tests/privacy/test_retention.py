"""Retention: organizationUpdate sets how long archived contacts and inactive accounts are
kept; retentionDryRun counts what the daily job would erase; the job erases exactly that,
and a second run erases nothing more."""

from __future__ import annotations

from datetime import timedelta

from models.accounts import ClientAccount
from models.contacts import Contact
from models.privacy import PrivacyRequest, RetentionPolicy
from resolvers.common.time import now
from resolvers.privacy import retention
from tests.accounts_authz_examples import a_household
from tests.support.contacts import new_contact

ERRORS = "errors { code field message }"
UPDATE = f"""mutation($id: ID!, $r: RetentionInput) {{ organizationUpdate(input: {{id: $id,
  retention: $r}}) {{ organization {{ id }} {ERRORS} }} }}"""
DRY_RUN = """query($o: ID!) { retentionDryRun(organizationId: $o) { archivedContactDays
  inactiveAccountDays archivedContacts inactiveAccounts contactsInInactiveAccounts } }"""


async def test_the_dry_run_counts_what_the_daily_job_erases(api, world):
    old = now() - timedelta(days=400)
    archived = await new_contact(world.organization, "Old Archived", archived=True)
    await Contact.filter(id=archived.id).update(archived_at=old)
    recent = await new_contact(world.organization, "New Archived", archived=True)
    account, _ = await a_household(world)
    await ClientAccount.filter(id=account.id).update(updated_at=old)
    active, _ = await a_household(world)
    theirs = await new_contact(world.other_organization, "Theirs Archived", archived=True)
    await Contact.filter(id=theirs.id).update(archived_at=old)

    set_ = await api.as_(world.owner).execute(
        UPDATE, {"id": world.org_gid, "r": {"archivedContactDays": 365, "inactiveAccountDays": 90}}
    )
    assert set_.ok("organizationUpdate")
    counted = (await api.as_(world.admin).execute(DRY_RUN, {"o": world.org_gid})).data[
        "retentionDryRun"
    ]
    assert counted == {
        "archivedContactDays": 365,
        "inactiveAccountDays": 90,
        "archivedContacts": 1,
        "inactiveAccounts": 1,
        "contactsInInactiveAccounts": 2,
    }
    assert await retention.apply() == 3
    assert await retention.apply() == 0  # run again: nothing more
    erased = set(await PrivacyRequest.all().values_list("contact_id", flat=True))
    holder = (await ClientAccount.get(id=account.id)).primary_contact_id
    assert archived.id in erased and holder in erased
    assert recent.id not in erased and theirs.id not in erased
    assert active.primary_contact_id not in erased
    assert (await ClientAccount.get(id=account.id)).name == f"Erased account {account.id}"


async def test_bad_retention_is_refused_and_nothing_written(api, world):
    result = await api.as_(world.owner).execute(
        UPDATE, {"id": world.org_gid, "r": {"archivedContactDays": -1}}
    )
    assert result.payload("organizationUpdate")["errors"][0]["field"] == [
        "input",
        "retention",
        "archivedContactDays",
    ]
    assert await RetentionPolicy.all().count() == 0
