"""A member of a client account without an email address is reached by EMAIL through the
account's primary contact (their address, language, consent and unsubscribe link): one
delivery per member, addressed to the primary. When the primary cannot be reached either,
the member is skipped NO_EMAIL; DO_NOT_CONTACT on the member still wins."""

from models.accounts import AccountContact, AccountContactKind, ClientAccount
from models.contacts import ConsentStatus
from models.identity import Locale
from models.message_sends import Delivery, DeliveryStatus
from resolvers.messaging import unsubscribe
from tests.messaging_drafts.test_drafts import REPORT
from tests.messaging_sends.support import READ, SEND, draft_for, person
from tests.support.worker import run_worker


async def household(world, primary, *members):
    account = await ClientAccount.create(
        organization=world.organization, name=primary.last_name, sort_name=primary.last_name,
        primary_contact=primary,
    )
    for contact in (primary, *members):
        await AccountContact.create(account=account, contact=contact,
                                    kind=AccountContactKind.MEMBER)
    return account


async def test_a_member_without_email_is_reached_through_the_primary(
    api, world, use_smtp, smtp
):
    settings = use_smtp()
    org = world.organization
    parent = await person(org, "Paule Roy", email="paule@example.com",
                          consent=ConsentStatus.EXPRESS, locale=Locale.FR)
    kid = await person(org, "Kim Roy")  # no email, never asked
    quiet = await person(org, "Quin Roy", do_not_contact=True)
    await household(world, parent, kid, quiet)
    # A household whose primary withdrew: its member stays NO_EMAIL.
    gone = await person(org, "Gil Bas", email="gil@example.com",
                        consent=ConsentStatus.WITHDRAWN)
    orphan = await person(org, "Oli Bas")
    await household(world, gone, orphan)
    lone = await person(org, "Lou Seul")  # in no account
    draft_id = await draft_for(world, [kid, quiet, orphan, lone])
    agent = api.as_(world.agent)
    report = (await agent.execute(REPORT, {"id": draft_id})).payload("messageDraft")[
        "audienceReport"]
    assert report["reaches"] == 1
    assert {s["reason"]: s["count"] for s in report["skips"]} == {
        "DO_NOT_CONTACT": 1, "NO_EMAIL": 2}

    sent = (await agent.execute(SEND, {"input": {"draftId": draft_id}})).ok("messageSend")
    await run_worker(settings)
    await run_worker(settings)  # twice: still one copy
    assert [m["To"] for m in smtp.messages] == ["paule@example.com"]
    [mail] = smtp.messages
    assert mail["Subject"] == "Nouvelles pour Kim"  # about the member, in the primary's words
    assert unsubscribe.url_for(org.id, parent.id) in mail["List-Unsubscribe"]
    delivery = await Delivery.get(contact_key=kid.id)
    assert delivery.status is DeliveryStatus.SENT and delivery.recipient == "paule@example.com"
    assert (delivery.consent_kind, delivery.consent_source) == ("EXPRESS", "web form")
    read = (await agent.execute(READ, {"id": sent["message"]["id"]})).payload("message")
    assert (read["counts"]["sent"], read["counts"]["skipped"]) == (1, 3)
    reasons = {
        e["node"]["contactId"]: e["node"]["skipReason"] for e in read["deliveries"]["edges"]
        if e["node"]["status"] == "SKIPPED"
    }
    assert sorted(reasons.values()) == ["DO_NOT_CONTACT", "NO_EMAIL", "NO_EMAIL"]
