"""Tortoise models, one module per domain. Models import nothing from the other layers."""

MODEL_MODULES = [
    "models.identity",
    "models.organizations",
    "models.staff",
    "models.contacts",
    "models.custom_fields",
    "models.contact_transfers",
    "models.audit",
    "models.messaging",
    "models.tasks",
]
