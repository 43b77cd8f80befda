"""`myAccountDelete`: a user deletes their login.

Confirmed with their password. Refused while they are the last active owner of an
organization (LAST_OWNER) or own a team (TEAM_OWNER): someone must be left in charge.
Otherwise, in one transaction: every session ends and the login's own records go
(sessions, one-time tokens, sign-in attempts), the platform's mail to them is blanked and
its audit events redacted; the user row is pseudonymised (no name, an
address that cannot receive mail, no usable password, inactive) so the audit trail and the
records naming who acted still resolve; their staff memberships are deactivated; their
contacts no longer open with it. Each organization that knew them gets an
ACCOUNT_DELETION privacy request (listed by `privacyRequests`, for privacy.manage), whose
handlers erase or keep the contact per their own retention rules.
"""

from __future__ import annotations

from carnet.i18n import N_
from models.contacts import Contact
from models.identity import OneTimeToken, Session, SignInAttempt, User
from models.messaging import OutboxMessage
from models.privacy import PrivacyRequest, PrivacyRequestKind
from models.staff import MembershipStatus, Role, StaffMembership
from models.teams import Team
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.identity import sessions
from resolvers.privacy.erasure import ERASED, redact_audit
from resolvers.privacy.export import organizations_of

_FIELD = ("input", "password")


async def delete_login(user: User, password: str, meta: RequestMeta) -> list[int]:
    """Deletes the login (see the module's docstring); the organizations asked."""
    await sessions.confirm_password(user, password, _FIELD, meta)
    async with unit_of_work():
        await _check_someone_remains(user)
        organizations = await organizations_of(user.id)
        for organization_id in organizations:
            contact = (
                await Contact.filter(user_id=user.id, organization_id=organization_id)
                .order_by("id")
                .first()
            )
            request = await PrivacyRequest.create(
                organization_id=organization_id,
                kind=PrivacyRequestKind.ACCOUNT_DELETION,
                contact=contact,
                requested_by=user,
                reason="The person deleted their Carnet login.",
            )
            await audit.record(
                "privacy.account_deletion",
                actor=user,
                meta=meta,
                organization_id=organization_id,
                target=("PrivacyRequest", request.id),
            )
        await sessions.revoke_all(user)
        await Session.filter(user_id=user.id).delete()
        await OneTimeToken.filter(user_id=user.id).delete()
        await SignInAttempt.filter(user_id=user.id).delete()
        await StaffMembership.filter(user_id=user.id).update(
            status=MembershipStatus.DEACTIVATED, deactivated_at=now()
        )
        await Contact.filter(user_id=user.id).update(user_id=None)
        # The platform's own mail and audit events (sign-ins, resets) no longer name them;
        # organizations' copies are their privacy handlers' to erase.
        await OutboxMessage.filter(organization_id__isnull=True, recipient=user.email).update(
            recipient=ERASED, subject="", body_text="", body_html="", context={}, links=[]
        )
        names = [v for v in (user.email, user.full_name) if v and len(v) >= 3]
        await redact_audit(None, names)
        await User.filter(id=user.id).update(
            email=f"deleted-{user.id}@deleted.invalid",
            first_name="",
            last_name="",
            password_hash="!",
            email_verified_at=None,
            is_active=False,
        )
        await audit.record("user.delete", actor=None, meta=meta, target=("User", user.id))
    return organizations


async def _check_someone_remains(user: User) -> None:
    owned = await StaffMembership.filter(
        user_id=user.id, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).values_list("organization_id", flat=True)
    for organization_id in owned:
        others = (
            await StaffMembership.filter(
                organization_id=organization_id,
                role=Role.OWNER,
                status=MembershipStatus.ACTIVE,
                deactivate_on__isnull=True,
            )
            .exclude(user_id=user.id)
            .exists()
        )
        if not others:
            raise UserErrors.single(
                UserErrorCode.LAST_OWNER,
                ("input",),
                N_(
                    "You are the last owner of an organization: make someone else owner "
                    "before deleting your login."
                ),
            )
    if await Team.filter(owner_id=user.id).exists():
        raise UserErrors.single(
            UserErrorCode.TEAM_OWNER,
            ("input",),
            N_("You own a team: hand it to another member before deleting your login."),
        )
