"""messageTestSend: the draft rendered with the sender's own name, mailed to them only by
the send_email job (once, however many times it runs), with the organization's address
footer and the one-click unsubscribe headers; received on a real SMTP server."""

from models.audit import AuditEvent
from models.messaging import MessageDraft, OutboxMessage, OutboxStatus
from models.tasks import Task
from resolvers.messaging import email
from schema import ids
from tests.messaging_drafts.test_drafts import CREATE, create_input
from tests.support.contacts import gid, new_contact
from tests.support.mail import html_of, text_of
from tests.support.worker import run_worker

SEND = """mutation($input: MessageTestSendInput!) {
  messageTestSend(input: $input) { sentTo draft { id } errors { code field message } } }"""


async def a_draft(api, world, channel="EMAIL"):
    contact = await new_contact(world.organization, "Bo Roy")
    return (
        await api.as_(world.agent).execute(
            CREATE,
            create_input(
                world,
                {"contactIds": [gid(contact)]},
                [
                    {
                        "locale": "EN",
                        "subject": "News for {{ contact.first_name }}",
                        "body": "<p>Hello {{ contact.display_name }}</p>"
                        '<a href="{{ unsubscribe_url }}">stop</a>',
                    },
                    {
                        "locale": "FR",
                        "subject": "Nouvelles pour {{ contact.first_name }}",
                        "body": "<p>Bonjour {{ contact.display_name }}</p>",
                    },
                ],
                channel=channel,
            ),
        )
    ).ok("messageDraftCreate")["draft"]


async def test_a_test_send_mails_the_sender_once_with_footer_and_one_click_headers(
    api, client, world, use_smtp, smtp
):
    settings = use_smtp()
    organization = world.organization
    organization.address_line1, organization.city = "12 rue Principale", "Montréal"
    organization.region, organization.postal_code = "QC", "H2X 1Y4"
    await organization.save()
    agent = world.agent.user
    agent.first_name, agent.last_name = "Agathe", "<b>Agent</b>"
    await agent.save()
    draft = await a_draft(api, world)

    sent = (await api.as_(world.agent).execute(SEND, {"input": {"draftId": draft["id"]}})).ok(
        "messageTestSend"
    )
    assert sent["sentTo"] == agent.email and sent["draft"]["id"] == draft["id"]
    assert smtp.messages == []  # sent by the job, after the commit
    await run_worker(settings)
    [mail] = smtp.messages
    assert mail["To"] == agent.email
    assert mail["Subject"] == "[Test] News for Agathe"
    html = html_of(mail)
    assert "Hello Agathe &lt;b&gt;Agent&lt;/b&gt;" in html  # the sender's name, escaped
    assert "12 rue Principale" in html and "Montréal QC H2X 1Y4" in html and "Club Alpha" in html
    text = text_of(mail)
    assert "Hello Agathe <b>Agent</b>" in text  # plain text: the name as typed, no tags
    assert "<p>" not in text and "12 rue Principale" in text
    unsubscribe_url = settings.public_url.rstrip("/") + "/unsubscribe/test"
    assert mail["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{unsubscribe_url}"' in html
    # That sample link says what it is and unsubscribes nobody.
    for method in ("GET", "POST"):
        page = await client.request(method, "/unsubscribe/test", headers={"accept-language": "fr"})
        assert page.status_code == 200 and "courriel d’essai" in page.text

    # The job again (a retry, a second worker): nothing more goes.
    message = await OutboxMessage.get()
    assert message.status is OutboxStatus.SENT and message.context["kind"] == "TRANSACTIONAL"
    await email.deliver(message.id, settings)
    await run_worker(settings)
    assert len(smtp.messages) == 1
    assert await Task.filter(function=email.SEND_EMAIL).count() == 1
    assert await AuditEvent.filter(action="message_draft.test_send").count() == 1


async def test_a_test_send_in_french_when_asked(api, world, use_smtp, smtp):
    settings = use_smtp()
    draft = await a_draft(api, world)
    (
        await api.as_(world.agent).execute(
            SEND, {"input": {"draftId": draft["id"], "locale": "FR"}}
        )
    ).ok("messageTestSend")
    await run_worker(settings)
    [mail] = smtp.messages
    assert mail["Subject"].startswith("[Essai] Nouvelles pour")
    assert "Se désabonner" in html_of(mail)


async def test_another_organizations_draft_and_non_email_drafts_send_nothing(
    api, world, use_smtp, smtp
):
    settings = use_smtp()
    theirs = await MessageDraft.create(
        organization=world.other_organization,
        channel="EMAIL",
        audience={"contact_ids": []},
        contents={"en": {"subject": "Hi", "body": "Hi"}},
    )
    outsider = await api.as_(world.agent).execute(
        SEND, {"input": {"draftId": ids.encode("MessageDraft", theirs.id)}}
    )
    assert outsider.payload_codes("messageTestSend") == ["NOT_FOUND"]
    sms = await a_draft(api, world, channel="SMS")
    refused = await api.as_(world.agent).with_headers(**{"accept-language": "fr"}).execute(
        SEND, {"input": {"draftId": sms["id"]}}
    )
    [error] = refused.payload("messageTestSend")["errors"]
    assert error["code"] == "INVALID" and "essai" in error["message"]
    viewer = await api.as_(world.viewer).execute(SEND, {"input": {"draftId": sms["id"]}})
    assert viewer.error_codes == ["FORBIDDEN"]
    await run_worker(settings)
    assert smtp.messages == [] and not await OutboxMessage.exists()
