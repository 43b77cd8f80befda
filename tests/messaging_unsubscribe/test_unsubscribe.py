"""Unsubscribe links: the page a recipient opens from an email (EN/FR), the one-click POST
that withdraws EMAIL consent at once through the consent code, and bad links refused."""

from urllib.parse import urlsplit

import pytest

from models.audit import AuditEvent
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.identity import Locale
from resolvers.messaging import unsubscribe
from tests.messaging_drafts.test_drafts import CREATE, PREVIEW, REPORT, create_input
from tests.support.contacts import gid, new_contact


async def subscribed(world, name="Ada Lovelace", locale=Locale.EN) -> Contact:
    contact = await new_contact(world.organization, name)
    contact.email, contact.email_consent, contact.locale = (
        f"c{contact.id}@x.test",
        ConsentStatus.EXPRESS,
        locale,
    )
    await contact.save()
    return contact


async def link_in_preview(api, world, contact) -> str:
    """The contact's link as the draft's `{{ unsubscribe_url }}` renders it in the preview."""
    agent = api.as_(world.agent)
    draft = (
        await agent.execute(
            CREATE,
            create_input(
                world,
                {"contactIds": [gid(contact)]},
                [
                    {"locale": "EN", "subject": "News", "body": "{{ unsubscribe_url }}"},
                    {"locale": "FR", "subject": "Nouvelles", "body": "{{ unsubscribe_url }}"},
                ],
            ),
        )
    ).ok("messageDraftCreate")["draft"]
    shown = await agent.execute(PREVIEW, {"id": draft["id"], "c": gid(contact)})
    return shown.payload("messageDraft")["preview"]["body"]


async def report_for(api, world, contact) -> dict:
    agent = api.as_(world.agent)
    draft = (
        await agent.execute(CREATE, create_input(world, {"contactIds": [gid(contact)]}))
    ).ok("messageDraftCreate")["draft"]
    return (await agent.execute(REPORT, {"id": draft["id"]})).payload("messageDraft")[
        "audienceReport"
    ]


@pytest.mark.parametrize(
    ("locale", "confirm", "done", "lang"),
    [
        (Locale.EN, "Stop receiving marketing emails", "You are unsubscribed", 'lang="en"'),
        (Locale.FR, "Ne plus recevoir de courriels", "Vous êtes désabonné", 'lang="fr"'),
    ],
)
async def test_the_link_confirms_then_withdraws_email_consent_at_once(
    api, client, world, locale, confirm, done, lang
):
    contact = await subscribed(world, locale=locale)
    assert (await report_for(api, world, contact))["reaches"] == 1
    path = urlsplit(await link_in_preview(api, world, contact)).path
    assert path.startswith("/unsubscribe/")

    # Opening the page (a mail scanner prefetching it too) changes nothing.
    page = await client.get(path, headers={"accept-language": "de"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert lang in page.text and confirm in page.text
    assert "Club Alpha" in page.text and contact.email in page.text
    assert '<form method="post">' in page.text
    await contact.refresh_from_db()
    assert contact.email_consent is ConsentStatus.EXPRESS
    assert not await ConsentRecord.filter(contact_id=contact.id).exists()

    # One click: withdrawn before the response comes back, in the recipient's language.
    posted = await client.post(
        path, content="List-Unsubscribe=One-Click", headers={"user-agent": "MailClient/1"}
    )
    assert posted.status_code == 200, posted.text
    assert done in posted.text
    await contact.refresh_from_db()
    assert contact.email_consent is ConsentStatus.WITHDRAWN
    record = await ConsentRecord.get(contact_id=contact.id)
    assert (record.channel, record.status, record.source) == (
        ConsentChannel.EMAIL,
        ConsentStatus.WITHDRAWN,
        "unsubscribe link",
    )
    assert "127.0.0.1" in record.proof and "MailClient/1" in record.proof
    assert path.rsplit("/", 1)[1] not in record.proof  # the digest, never the link itself
    assert record.recorded_by_id is None
    event = await AuditEvent.get(action="contact.consent_set", target_id=contact.id)
    assert event.actor_id is None
    # The next message skips them: not in days, now.
    report = await report_for(api, world, contact)
    assert report["reaches"] == 0
    assert {s["reason"]: s["count"] for s in report["skips"]} == {"WITHDRAWN": 1}

    # A second POST (a double click, a retried one-click) is harmless and records nothing.
    again = await client.post(path)
    assert again.status_code == 200 and done in again.text
    assert await ConsentRecord.filter(contact_id=contact.id).count() == 1
    assert await AuditEvent.filter(action="contact.consent_set").count() == 1
    # The page then says it is done, with no button.
    page = await client.get(path)
    assert done in page.text and "<form" not in page.text


async def test_the_email_consent_only_is_withdrawn(client, world):
    contact = await subscribed(world)
    contact.sms_consent, contact.phone = ConsentStatus.EXPRESS, "+15145550000"
    await contact.save()
    token = unsubscribe.token_for(world.organization.id, contact.id)
    assert (await client.post(f"/unsubscribe/{token}")).status_code == 200
    await contact.refresh_from_db()
    assert contact.email_consent is ConsentStatus.WITHDRAWN
    assert contact.sms_consent is ConsentStatus.EXPRESS


def _tampered(token: str) -> list[str]:
    organization_id, contact_id, signature = token.split(".")
    flipped = ("0" if signature[-1] != "0" else "1")
    return [
        f"{organization_id}.{contact_id}.{signature[:-1]}{flipped}",  # signature changed
        f"{organization_id}.{int(contact_id) + 1}.{signature}",  # another contact
        f"{int(organization_id) + 1}.{contact_id}.{signature}",  # another organization
        f"{organization_id}.{contact_id}",
        "garbage",
        "1.2.3.4",
        "-1.-2.abc",
        "é.1.x",
        "9" * 40 + ".1." + signature,
        "1" * 200,
        "%00",
    ]


async def test_a_tampered_or_unknown_link_is_refused_with_a_page_never_a_500(client, world):
    contact = await subscribed(world)
    other = await subscribed(world, "Bo Roy")
    token = unsubscribe.token_for(world.organization.id, contact.id)
    for bad in _tampered(token):
        for method in ("GET", "POST"):
            answer = await client.request(method, f"/unsubscribe/{bad}")
            assert answer.status_code == 404, (bad, method, answer.status_code)
            assert "This unsubscribe link is not valid" in answer.text
    french = await client.post(f"/unsubscribe/{token}x", headers={"accept-language": "fr"})
    assert french.status_code == 404 and "n’est pas valide" in french.text
    for person in (contact, other):
        await person.refresh_from_db()
        assert person.email_consent is ConsentStatus.EXPRESS
    assert not await ConsentRecord.all().exists()


async def test_a_link_of_a_deleted_contact_is_refused(client, world):
    contact = await subscribed(world)
    token = unsubscribe.token_for(world.organization.id, contact.id)
    await contact.delete()
    assert (await client.get(f"/unsubscribe/{token}")).status_code == 404
    assert (await client.post(f"/unsubscribe/{token}")).status_code == 404
