"""The SMTP provider's reusable connection (for a chunk's emails, aiosmtplib): many
messages over one connection, each received once with its headers; `send` alone opens one
connection per message. Against a real local SMTP server."""

from carnet.providers import email as email_provider


def a_mail(n: int) -> email_provider.Email:
    return email_provider.Email(
        message_id=f"<bench-{n}@carnet>", recipient=f"p{n}@example.com", subject=f"S{n}",
        text="hello", html="<p>hello</p>", sender="Club <club@example.org>",
        headers=(("List-Unsubscribe", "<https://x/unsubscribe/1>"),),
    )


async def test_one_connection_carries_many_messages(use_smtp, smtp):
    use_smtp()
    async with email_provider.connection() as relay:
        for n in range(3):
            await relay.send(a_mail(n))
    assert smtp.connections == 1
    assert [m["To"] for m in smtp.messages] == [f"p{n}@example.com" for n in range(3)]
    assert smtp.messages[0]["From"] == "Club <club@example.org>"
    assert smtp.messages[0]["List-Unsubscribe"] == "<https://x/unsubscribe/1>"
    for n in range(3, 5):
        await email_provider.send(a_mail(n))
    assert smtp.connections == 3 and len(smtp.messages) == 5
