"""The one GraphQL schema: every domain's queries and mutations, with the abuse limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from carnet.settings import Settings
from schema.accounts.client import AccountsClientMutation
from schema.accounts.features import FeaturesMutation, FeaturesQuery
from schema.accounts.form_answers import FormAnswersMutation
from schema.accounts.forms import AccountFormsMutation
from schema.accounts.items import AccountItemsMutation
from schema.accounts.member_documents import MemberDocumentsMutation, MemberDocumentsQuery
from schema.accounts.mutations import AccountsMutation
from schema.accounts.requests import AccountRequestsMutation
from schema.accounts.tables import AccountTablesMutation
from schema.accounts.types import AccountsQuery
from schema.affiliations import AffiliationsMutation
from schema.audit import AuditQuery, AuditSubscription
from schema.billing.bulk import BillingBulkMutation
from schema.billing.invoices import InvoicesMutation, InvoicesQuery
from schema.billing.payments import PaymentsMutation, StatementsQuery
from schema.billing.sales import SalesMutation
from schema.billing.statement_files import StatementFilesMutation
from schema.bulk import BulkMutation, BulkQuery
from schema.bulk_contacts import BulkContactsMutation
from schema.bulk_progress import BulkProgressSubscription
from schema.catalogue.holdings import HoldingsMutation, HoldingsQuery
from schema.catalogue.items import CatalogueMutation, CatalogueQuery
from schema.catalogue.plans import PlansMutation, PlansQuery
from schema.catalogue.shop import ShopQuery
from schema.colours import ColoursMutation, ColoursQuery
from schema.connection_arguments import ConnectionArguments
from schema.contacts import ContactMutation, ContactQuery
from schema.contacts_bulk_actions import ContactsBulkActionsMutation
from schema.custom_field_answers import CustomFieldAnswersMutation
from schema.custom_fields import CustomFieldsMutation, CustomFieldsQuery
from schema.duplicates import ContactDuplicatesMutation, ContactDuplicatesQuery
from schema.errors import FIELD_PATH_SEGMENT, FieldPathSegment, format_errors
from schema.execution import ExecutionContext, prepare_direct_reads
from schema.groups import GroupsMutation, GroupsQuery
from schema.identity import IdentityMutation, IdentityQuery
from schema.inbox import InboxMutation
from schema.limits import CostLimit
from schema.message_sends import MessageSendsMutation, MessageSendsQuery
from schema.messaging import MessagingMutation, MessagingQuery
from schema.node import NodeQuery
from schema.organizations import OrganizationMutation, OrganizationQuery
from schema.permissions import RequiresPermission
from schema.privacy import PrivacyMutation, PrivacyQuery
from schema.segments import SegmentsMutation, SegmentsQuery
from schema.staff import StaffMutation, StaffQuery
from schema.teams.billing import TeamBillingMutation
from schema.teams.billing_seats import TeamSeatTypeMutation
from schema.teams.seats import SeatsMutation, SeatsQuery
from schema.teams.teams import TeamsMutation, TeamsQuery
from schema.text_arguments import clean_subscription_arguments, clean_text_arguments
from schema.transfers.exports import ContactExportsMutation, ContactExportsQuery
from schema.transfers.imports import ContactImportsMutation, ContactImportsQuery

Query = merge_types(
    "Query",
    (
        NodeQuery,
        IdentityQuery,
        OrganizationQuery,
        StaffQuery,
        AuditQuery,
        ContactQuery,
        ColoursQuery,
        GroupsQuery,
        ContactDuplicatesQuery,
        ContactImportsQuery,
        ContactExportsQuery,
        CustomFieldsQuery,
        SegmentsQuery,
        BulkQuery,
        AccountsQuery,
        TeamsQuery,
        SeatsQuery,
        MessagingQuery,
        MessageSendsQuery,
        FeaturesQuery,
        MemberDocumentsQuery,
        InvoicesQuery,
        StatementsQuery,
        PlansQuery,
        CatalogueQuery,
        HoldingsQuery,
        ShopQuery,
        PrivacyQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutation,
        OrganizationMutation,
        StaffMutation,
        ContactMutation,
        ColoursMutation,
        GroupsMutation,
        AffiliationsMutation,
        ContactDuplicatesMutation,
        ContactImportsMutation,
        ContactExportsMutation,
        CustomFieldsMutation,
        CustomFieldAnswersMutation,
        SegmentsMutation,
        BulkMutation,
        BulkContactsMutation,
        ContactsBulkActionsMutation,
        AccountsMutation,
        TeamsMutation,
        TeamBillingMutation,
        TeamSeatTypeMutation,
        SeatsMutation,
        AccountsClientMutation,
        MessagingMutation,
        AccountItemsMutation,
        MessageSendsMutation,
        InboxMutation,
        AccountFormsMutation,
        FormAnswersMutation,
        AccountTablesMutation,
        AccountRequestsMutation,
        FeaturesMutation,
        MemberDocumentsMutation,
        InvoicesMutation,
        PaymentsMutation,
        BillingBulkMutation,
        StatementFilesMutation,
        PlansMutation,
        CatalogueMutation,
        HoldingsMutation,
        SalesMutation,
        PrivacyMutation,
    ),
)
Subscription = merge_types("Subscription", (AuditSubscription, BulkProgressSubscription))


class CarnetSchema(strawberry.Schema):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        clean_text_arguments(self._schema)
        clean_subscription_arguments(self._schema)
        prepare_direct_reads(self._schema)

    def process_errors(self, errors, execution_context=None) -> None:
        # Instead of logging every error (most are the client's), format them: codes,
        # translations, and masking of unexpected ones, which format_errors logs.
        format_errors(errors, getattr(execution_context, "context", None))


def build_schema(settings: Settings, extra_extensions: Sequence[Any] = ()) -> strawberry.Schema:
    """`extra_extensions`: what the app adds to observe requests (carnet/web/observe.py)."""
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    return CarnetSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        schema_directives=[RequiresPermission],
        execution_context_class=ExecutionContext,
        config=StrawberryConfig(scalar_map={FieldPathSegment: FIELD_PATH_SEGMENT}),
        # Factories, not instances: extensions keep per-request state (the cost, say).
        # The depth and alias limiters' rule classes are made once: ValidationCache keys
        # on the rules, and a limiter built per request made every lookup a miss.
        extensions=[
            lambda: ParserCache(maxsize=1000),
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
            lambda: AddValidationRules(limit_rules),
            lambda: ValidationCache(maxsize=1000),
            ConnectionArguments,
            lambda: CostLimit(max_cost=settings.max_query_cost),
            *extra_extensions,
        ],
    )


def print_sdl(settings: Settings) -> str:
    return build_schema(settings).as_str() + "\n"
