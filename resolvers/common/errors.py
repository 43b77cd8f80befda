"""Errors resolvers raise. The schema layer turns them into payload or top-level errors.

`UserErrors` carries validation problems (payload `errors`, nothing written);
`NotFound`, `Forbidden`, `Unauthenticated`, `RateLimited` and `BadUserInput` become
top-level errors with `extensions.code`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from carnet.i18n import N_, NP_

FieldPath = Sequence[str | int]


class UserErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    TOO_LONG = "TOO_LONG"
    INVALID_EMAIL = "INVALID_EMAIL"
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_USED = "TOKEN_USED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    LAST_OWNER = "LAST_OWNER"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    EMPTY_TARGET = "EMPTY_TARGET"
    ALREADY_FINISHED = "ALREADY_FINISHED"
    ALREADY_UNDONE = "ALREADY_UNDONE"
    NOT_UNDOABLE = "NOT_UNDOABLE"
    NOT_FINISHED = "NOT_FINISHED"
    UNDER_AGE = "UNDER_AGE"  # an account's primary must be an adult
    CONTACT_EXISTS = "CONTACT_EXISTS"  # a contact with this email is already here: use it
    PRIMARY_REQUIRED = "PRIMARY_REQUIRED"  # an account always keeps its one primary
    LOGIN_EMAIL_LOCKED = "LOGIN_EMAIL_LOCKED"  # only the user changes the email they sign in with
    TOO_MANY = "TOO_MANY"
    DUPLICATE = "DUPLICATE"
    SEAT_REQUIRED = "SEAT_REQUIRED"
    TRIAL_ALREADY_USED = "TRIAL_ALREADY_USED"
    ALREADY_CANCELED = "ALREADY_CANCELED"
    PAID_BY_TEAM = "PAID_BY_TEAM"
    SELF_PAYING = "SELF_PAYING"
    NOT_IN_TRIAL = "NOT_IN_TRIAL"
    TEAM_OWNER = "TEAM_OWNER"
    TEMPLATE_INVALID = "TEMPLATE_INVALID"  # a message template's syntax, or unsafe
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"  # a message template names what is not offered
    SMS_TOO_LONG = "SMS_TOO_LONG"  # more SMS segments than CARNET_SMS_MAX_SEGMENTS
    ALREADY_SENT = "ALREADY_SENT"  # a message draft is sent once
    IN_THE_PAST = "IN_THE_PAST"  # a schedule must be in the future
    ALREADY_STARTED = "ALREADY_STARTED"  # a scheduled message that has started sending
    READ_ONLY = "READ_ONLY"  # a signed form, a decided request: no longer changed
    FEATURE_DISABLED = "FEATURE_DISABLED"  # the organization has not turned this feature on
    INVALID_STATE = "INVALID_STATE"  # not in a state that allows this (a request not submitted)
    AMOUNT_NOT_POSITIVE = "AMOUNT_NOT_POSITIVE"  # money amounts are positive minor units
    AMOUNT_TOO_HIGH = "AMOUNT_TOO_HIGH"  # more than remains due, creditable or refundable
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"  # not the invoice's or payment's currency
    INVOICE_STATUS = "INVOICE_STATUS"  # not allowed in the invoice's current status
    INVOICE_VOIDED = "INVOICE_VOIDED"  # the payment's invoice was voided: nothing to refund
    INVOICE_EMPTY = "INVOICE_EMPTY"  # an invoice without lines cannot be finalized
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"  # same key, other parameters
    PAYMENT_DECLINED = "PAYMENT_DECLINED"  # the payment provider refused the card
    ARCHIVED = "ARCHIVED"  # a plan or catalogue item that takes no new subscription or sale
    NOT_PRICED = "NOT_PRICED"  # a plan with no price for the interval asked
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"  # a group's booking quota for the period is reached
    SLOT_FULL = "SLOT_FULL"  # a slot's capacity is booked
    NOT_BOOKABLE = "NOT_BOOKABLE"  # a slot of an archived item, or one already started
    ALREADY_ERASED = "ALREADY_ERASED"  # a contact erased on a privacy request stays erased


@dataclass(frozen=True)
class FieldError:
    code: UserErrorCode
    field: tuple[str | int, ...]
    message: str  # an English msgid, translated when rendered
    params: dict[str, Any] = field(default_factory=dict)


class UserErrors(Exception):
    """One or more validation problems; the mutation writes nothing."""

    def __init__(self, errors: Sequence[FieldError]):
        super().__init__(", ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def single(
        cls, code: UserErrorCode, field_path: FieldPath, message: str, **params: Any
    ) -> UserErrors:
        return cls([FieldError(code, tuple(field_path), message, params)])


class ErrorCollector:
    """Gathers several field errors so a client sees all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, code: UserErrorCode, field_path: FieldPath, message: str, **params: Any) -> None:
        self.errors.append(FieldError(code, tuple(field_path), message, params))

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserErrors(self.errors)


class ApiError(Exception):
    code = "INTERNAL_SERVER_ERROR"
    default_message = N_("Something went wrong.")

    def __init__(self, message: str | None = None, **params: Any):
        self.message = message or self.default_message
        self.params = params
        super().__init__(self.message)


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"
    default_message = N_("You must be signed in.")


class Forbidden(ApiError):
    code = "FORBIDDEN"
    default_message = N_("You do not have permission to do this.")


class NotFound(ApiError):
    code = "NOT_FOUND"
    default_message = N_("Not found.")

    def __init__(self, field_path: FieldPath = (), message: str | None = None):
        super().__init__(message)
        self.field = tuple(field_path)


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"
    default_message = N_("Invalid input.")


class RateLimited(ApiError):
    code = "RATE_LIMITED"
    default_message = NP_(
        "Too many attempts. Try again in {count} second.",
        "Too many attempts. Try again in {count} seconds.",
    )

    def __init__(self, retry_after: int):
        super().__init__(count=retry_after)
        self.retry_after = retry_after
