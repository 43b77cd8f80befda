"""record_interaction: the address book fills itself from what people do."""

from datetime import UTC, datetime, timedelta

import pytest

from models.audit import AuditEvent
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact, ContactSource
from models.identity import User
from resolvers.common.errors import UserErrors
from resolvers.contacts.consent import ConsentChange, ImpliedBasis
from resolvers.contacts.interactions import record_interaction
from tests.contacts.contact_flows import make_contact

EXPRESS_EMAIL = ConsentChange(
    ConsentChannel.EMAIL, ConsentStatus.EXPRESS, "registration form", "☑ Newsletter"
)


def implied(basis=ImpliedBasis.PURCHASE) -> ConsentChange:
    return ConsentChange(
        ConsentChannel.EMAIL, ConsentStatus.IMPLIED, "purchase #7", implied_basis=basis
    )


async def test_a_new_person_is_added_with_their_consent(world):
    contact = await record_interaction(
        world.organization.id,
        email="New.Person@Example.test",
        first_name="New",
        last_name="Person",
        phone="514 555 0142",
        source=ContactSource.PURCHASE,
        consent=[EXPRESS_EMAIL],
    )
    row = await Contact.get(id=contact.id)
    assert (row.first_name, row.email, row.phone) == (
        "New",
        "new.person@example.test",
        "+15145550142",
    )
    assert row.source is ContactSource.PURCHASE
    assert row.last_activity_at is not None and row.email_consent is ConsentStatus.EXPRESS
    assert row.sort_name == "person, new" and "15145550142" in row.search_text
    record = await ConsentRecord.get(contact_id=row.id)
    assert record.source == "registration form" and record.proof == "☑ Newsletter"
    assert record.recorded_by_id is None  # the person gave it, on a form
    created = await AuditEvent.get(action="contact.create")
    assert created.after["automatic"] is True and created.after["source"] == "PURCHASE"


async def test_the_same_email_finds_the_contact_staff_entered_and_fills_only_blanks(world):
    entered = await make_contact(
        world.organization, first_name="Marie", email="marie@example.test", city="Laval"
    )
    contact = await record_interaction(
        world.organization.id,
        email="marie@example.test",
        first_name="M.",
        last_name="Other",
        phone="+1 438 871 2345",
        source=ContactSource.REGISTRATION,
    )
    assert contact.id == entered.id
    row = await Contact.get(id=entered.id)
    assert (row.first_name, row.last_name) == ("Marie", "")  # staff's entry is kept
    assert row.phone == "+14388712345"  # a blank is filled
    assert row.source is ContactSource.STAFF_ENTRY  # how it first arrived
    assert row.last_activity_at is not None
    assert await Contact.all().count() == 1


async def test_a_verified_user_is_found_by_link_then_linked_by_email(world):
    user = world.loner.user
    first = await record_interaction(world.organization.id, user=user, source=ContactSource.TEAM)
    assert first.user_id == user.id and first.email == user.email
    assert first.first_name == user.first_name  # from the login, when none given
    # Next time, the link finds it, whatever email is given.
    again = await record_interaction(
        world.organization.id,
        user=user,
        email="another.address@example.test",
        source=ContactSource.PURCHASE,
    )
    assert again.id == first.id
    assert await Contact.filter(organization_id=world.organization.id).count() == 1
    # Another organization has its own contact for the same person.
    theirs = await record_interaction(
        world.other_organization.id, user=user, source=ContactSource.TEAM
    )
    assert theirs.id != first.id and theirs.user_id == user.id


async def test_an_unverified_login_is_neither_linked_nor_trusted_for_its_email(world):
    user = await User.create(email="unproven@example.test", password_hash="", first_name="Un")
    contact = await record_interaction(
        world.organization.id, user=user, first_name="Un", source=ContactSource.REGISTRATION
    )
    assert contact.user_id is None and contact.email is None
    staff_typed = await record_interaction(
        world.organization.id,
        user=user,
        email="unproven@example.test",
        source=ContactSource.STAFF_MEMBERSHIP,
    )
    # The email staff typed is kept; the link waits for the address to be proven.
    assert staff_typed.email == "unproven@example.test" and staff_typed.user_id is None


async def test_a_contact_linked_to_someone_else_is_not_taken(world):
    other_user = world.viewer.user
    theirs = await make_contact(
        world.organization, first_name="Shared", email="shared@example.test", user=other_user
    )
    contact = await record_interaction(
        world.organization.id,
        user=world.loner.user,
        email="shared@example.test",
        source=ContactSource.PURCHASE,
    )
    assert contact.id != theirs.id
    assert (await Contact.get(id=theirs.id)).user_id == other_user.id


async def test_an_archived_contact_who_comes_back_is_restored(world):
    gone = await make_contact(
        world.organization,
        first_name="Back",
        email="back@example.test",
        archived_at=datetime.now(UTC) - timedelta(days=3),
    )
    contact = await record_interaction(
        world.organization.id, email="back@example.test", source=ContactSource.PURCHASE
    )
    assert contact.id == gone.id
    assert (await Contact.get(id=gone.id)).archived_at is None
    event = await AuditEvent.get(action="contact.restore")
    assert event.after == {"reason": "interaction"}


async def test_implied_consent_never_overrides_a_withdrawal_or_express_consent(world):
    withdrawn = await make_contact(
        world.organization, first_name="W", email="w@example.test", email_consent="WITHDRAWN"
    )
    express = await make_contact(
        world.organization, first_name="E", email="e@example.test", email_consent="EXPRESS"
    )
    for contact in (withdrawn, express):
        await record_interaction(
            world.organization.id,
            email=contact.email,
            source=ContactSource.PURCHASE,
            consent=[implied()],
        )
    assert (await Contact.get(id=withdrawn.id)).email_consent is ConsentStatus.WITHDRAWN
    assert (await Contact.get(id=express.id)).email_consent is ConsentStatus.EXPRESS
    assert not await ConsentRecord.exists()
    # A new express consent, or a withdrawal, always counts.
    await record_interaction(
        world.organization.id,
        email="w@example.test",
        source=ContactSource.PURCHASE,
        consent=[EXPRESS_EMAIL],
    )
    assert (await Contact.get(id=withdrawn.id)).email_consent is ConsentStatus.EXPRESS


async def test_implied_consent_fills_in_where_none_was_asked(world):
    contact = await record_interaction(
        world.organization.id,
        email="buyer@example.test",
        first_name="Buyer",
        source=ContactSource.PURCHASE,
        consent=[implied()],
    )
    row = await Contact.get(id=contact.id)
    assert row.email_consent is ConsentStatus.IMPLIED
    assert row.email_consent_expires_at > datetime.now(UTC) + timedelta(days=720)


async def test_bad_data_is_refused_before_anything_is_written(world):
    with pytest.raises(UserErrors) as refused:
        await record_interaction(
            world.organization.id,
            email="not an email",
            phone="12",
            source=ContactSource.PURCHASE,
            consent=[ConsentChange(ConsentChannel.SMS, ConsentStatus.IMPLIED, "shop")],
        )
    assert {e.field for e in refused.value.errors} == {
        ("email",),
        ("phone",),
        ("consent", 0, "implied_basis"),
    }
    assert not await Contact.exists()


async def test_staff_who_record_consent_for_someone_are_named_in_the_history(world):
    contact = await record_interaction(
        world.organization.id,
        user=world.loner.user,
        source=ContactSource.STAFF_MEMBERSHIP,
        consent=[EXPRESS_EMAIL],
        by=world.admin.user,
    )
    record = await ConsentRecord.get(contact_id=contact.id)
    assert record.recorded_by_id == world.admin.user.id
    event = await AuditEvent.get(action="contact.consent_set")
    assert event.actor_id == world.admin.user.id
