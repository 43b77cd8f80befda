"""Failed sign-ins and lockouts: kept per user, for that user's own history
(`mySignInAttempts`), and written to the operators' log (logger `carnet.sign_in`, with the
fields as `extra`). Neither ever holds a password, nor an address typed that matches no
user: the log has a keyed hash of the address, enough to tell one target from many.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from carnet.auth import email_digest
from carnet.throttle import Admission
from models.identity import SignInAttempt, SignInOutcome, SignInStep, User
from resolvers.common import relationships
from resolvers.common.actor import RequestMeta
from resolvers.common.permissions import Relationship
from resolvers.common.time import now

log = logging.getLogger("carnet.sign_in")

# The log's word for a wrong password typed for an address that matches no user.
NO_SUCH_USER = "NO_SUCH_USER"
# ...and for an attempt refused for a moment, while other checks for it are under way.
BUSY = "BUSY"


def _log(
    level: int,
    outcome: str,
    user: User | None,
    email: str,
    step: SignInStep,
    meta: RequestMeta,
    **more,
) -> None:
    fields = {
        "event": "sign_in_refused",
        "outcome": outcome,
        "step": step.value,
        "user_id": user.id if user else None,
        "client_address": meta.ip_address,
        "email_hash": email_digest(email),
        **more,
    }
    shown = " ".join(f"{name}={value}" for name, value in fields.items() if name != "event")
    log.log(level, "sign-in refused: %s", shown, extra=fields)


async def failed(
    user: User | None, email: str, step: SignInStep, meta: RequestMeta, device: str
) -> None:
    """A password was checked and was wrong (or the address matches no user)."""
    if user is not None:
        await SignInAttempt.create(
            user=user,
            outcome=SignInOutcome.WRONG_PASSWORD,
            step=step,
            ip_address=meta.ip_address[:64],
            device=device,
        )
    outcome = SignInOutcome.WRONG_PASSWORD.value if user else NO_SUCH_USER
    _log(logging.INFO, outcome, user, email, step, meta)


async def refused(
    user: User | None,
    email: str,
    step: SignInStep,
    meta: RequestMeta,
    device: str,
    admission: Admission,
) -> None:
    """A client was refused unchecked. The user's history notes it once per lock, so
    hammering a locked account does not write a row per request; a refusal only because
    other checks are under way (`busy`) is no lock, and is only logged."""
    if admission.busy:
        _log(logging.INFO, BUSY, user, email, step, meta, retry_after=admission.wait)
        return
    if user is not None and admission.first_refusal:
        await SignInAttempt.create(
            user=user,
            outcome=SignInOutcome.LOCKED_OUT,
            step=step,
            ip_address=meta.ip_address[:64],
            device=device,
            locked_until=now() + timedelta(seconds=admission.wait),
        )
    level = logging.WARNING if admission.first_refusal else logging.INFO
    outcome = SignInOutcome.LOCKED_OUT.value
    _log(level, outcome, user, email, step, meta, retry_after=admission.wait)


def attempts_of(user: User):
    return SignInAttempt.filter(user_id=user.id)


async def purge(older_than: datetime) -> int:
    return await SignInAttempt.filter(created_at__lt=older_than).delete()


async def _is_own(user: User, attempt: SignInAttempt) -> bool:
    return attempt.user_id == user.id


relationships.register(Relationship.SELF, SignInAttempt, _is_own)
