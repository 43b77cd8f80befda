"""Files in the test run's storage (carnet.storage), as the app and the worker see them."""

from __future__ import annotations

from carnet.storage import current_storage, new_key


async def a_stored_file(organization_id: int, kind: str, text: str) -> str:
    """Stores `text` as UTF-8 under a fresh key of the organization's; the key."""
    key = new_key(organization_id, kind, "csv")
    await current_storage().put(key, text.encode("utf-8"))
    return key


async def stored_text(key: str | None) -> str | None:
    """The file under `key` as text; None when there is no key or no file."""
    if key is None or not await current_storage().exists(key):
        return None
    return (await current_storage().read(key)).decode("utf-8")
