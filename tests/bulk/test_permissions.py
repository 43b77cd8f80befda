"""A batch action needs bulk.run AND what it changes: either alone is FORBIDDEN."""

import pytest

from models.bulk import BulkOperation
from models.staff import Role
from resolvers.common.permissions import ROLE_PERMISSIONS, Permission
from tests.bulk.support import COLOUR_SET
from tests.bulk.test_colour_set import colour_input
from tests.support.contacts import gid, new_contact


@pytest.mark.parametrize("missing", [Permission.BULK_RUN, Permission.CONTACTS_WRITE])
async def test_bulk_run_without_the_actions_own_permission_or_the_reverse_is_forbidden(
    api, world, monkeypatch, missing
):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.AGENT, ROLE_PERMISSIONS[Role.AGENT] - {missing})
    contact = await new_contact(world.organization, "Anne Roy")
    refused = await api.as_(world.agent).execute(
        COLOUR_SET, colour_input(world, {"contactIds": [gid(contact)]})
    )
    assert refused.error_codes == ["FORBIDDEN"]
    assert not await BulkOperation.exists()


async def test_a_viewer_neither_starts_nor_reads_operations(api, world):
    contact = await new_contact(world.organization, "Anne Roy")
    refused = await api.as_(world.viewer).execute(
        COLOUR_SET, colour_input(world, {"contactIds": [gid(contact)]})
    )
    assert refused.error_codes == ["FORBIDDEN"]
    listed = await api.as_(world.viewer).execute(
        "query($o: ID!) { bulkOperations(organizationId: $o) { edges { node { id } } } }",
        {"o": world.org_gid},
    )
    assert listed.error_codes == ["FORBIDDEN"]
