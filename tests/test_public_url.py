"""Where Carnet says it can be reached: the `carnet dev` banner and the links in emails
follow CARNET_HOST and CARNET_PORT unless CARNET_PUBLIC_URL (or CARNET_APP_URL) is set."""

from carnet import cli
from carnet.settings import Settings, configure
from tests.identity.flows import last_email, request_reset
from tests.support.worker import run_worker


def test_the_urls_follow_host_and_port_unless_set(monkeypatch):
    for name in ("CARNET_HOST", "CARNET_PORT", "CARNET_PUBLIC_URL", "CARNET_APP_URL"):
        monkeypatch.delenv(name, raising=False)
    default = Settings(_env_file=None)
    assert (default.public_url, default.app_url) == ("http://127.0.0.1:8000",) * 2

    monkeypatch.setenv("CARNET_PORT", "8101")
    moved = Settings(_env_file=None)
    assert (moved.public_url, moved.app_url) == ("http://127.0.0.1:8101",) * 2
    assert "GraphiQL at http://127.0.0.1:8101/graphql" in cli.banner(moved)

    # Listening on every interface: the link names this machine.
    monkeypatch.setenv("CARNET_HOST", "0.0.0.0")
    assert Settings(_env_file=None).public_url == "http://127.0.0.1:8101"
    monkeypatch.setenv("CARNET_HOST", "::")
    assert Settings(_env_file=None).public_url == "http://[::1]:8101"
    monkeypatch.setenv("CARNET_HOST", "carnet.local")
    assert Settings(_env_file=None).public_url == "http://carnet.local:8101"

    monkeypatch.setenv("CARNET_PUBLIC_URL", "https://api.example.test/")
    public = Settings(_env_file=None)
    assert (public.public_url, public.app_url) == ("https://api.example.test",) * 2
    monkeypatch.setenv("CARNET_APP_URL", "https://app.example.test")
    assert Settings(_env_file=None).app_url == "https://app.example.test"


async def test_email_links_follow_the_port(api, world, settings, services):
    moved = services.settings(port=8101)
    configure(moved)
    try:
        await request_reset(api, "loner@example.test")
        await run_worker(moved)
        message = await last_email("loner@example.test", "password_reset")
    finally:
        configure(settings)
    (link,) = message.links
    assert link.startswith("http://127.0.0.1:8101/"), link
