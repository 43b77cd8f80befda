"""The one GraphQL schema: every domain's queries and mutations, with the abuse limits."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from carnet.settings import Settings
from schema.audit import AuditQuery, AuditSubscription
from schema.connection_arguments import ConnectionArguments
from schema.contact_duplicates import ContactDuplicatesMutation, ContactDuplicatesQuery
from schema.contact_exports import ContactExportsMutation, ContactExportsQuery
from schema.contact_groups import ContactGroupsMutation, ContactGroupsQuery
from schema.contact_imports import ContactImportsMutation, ContactImportsQuery
from schema.contacts import ContactMutation, ContactQuery
from schema.custom_fields import CustomFieldsMutation, CustomFieldsQuery
from schema.errors import format_errors
from schema.execution import ExecutionContext, prepare_direct_reads
from schema.identity import IdentityMutation, IdentityQuery
from schema.limits import CostLimit
from schema.node import NodeQuery
from schema.organizations import OrganizationMutation, OrganizationQuery
from schema.permissions import RequiresPermission
from schema.staff import StaffMutation, StaffQuery
from schema.text_arguments import clean_text_arguments

Query = merge_types(
    "Query",
    (
        NodeQuery,
        IdentityQuery,
        OrganizationQuery,
        StaffQuery,
        AuditQuery,
        ContactQuery,
        ContactGroupsQuery,
        ContactDuplicatesQuery,
        ContactImportsQuery,
        ContactExportsQuery,
        CustomFieldsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutation,
        OrganizationMutation,
        StaffMutation,
        ContactMutation,
        ContactGroupsMutation,
        ContactDuplicatesMutation,
        ContactImportsMutation,
        ContactExportsMutation,
        CustomFieldsMutation,
    ),
)
Subscription = merge_types("Subscription", (AuditSubscription,))


class CarnetSchema(strawberry.Schema):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        clean_text_arguments(self._schema)
        prepare_direct_reads(self._schema)

    def process_errors(self, errors, execution_context=None) -> None:
        # Instead of logging every error (most are the client's), format them: codes,
        # translations, and masking of unexpected ones, which format_errors logs.
        format_errors(errors, getattr(execution_context, "context", None))


def build_schema(settings: Settings) -> strawberry.Schema:
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
        ],
    )


def print_sdl(settings: Settings) -> str:
    return build_schema(settings).as_str() + "\n"
