"""Tortoise models, one module per domain. Models import nothing from the other layers."""

MODEL_MODULES = [
    "models.identity",
    "models.organizations",
    "models.staff",
    "models.contacts",
    "models.colours",
    "models.groups",
    "models.affiliations",
    "models.duplicates",
    "models.custom_fields",
    "models.transfers",
    "models.segments",
    "models.accounts",
    "models.teams",
    "models.audit",
    "models.messaging",
    "models.tasks",
    "models.bulk",
    "models.catalogue",
]
