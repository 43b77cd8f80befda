"""The billing ledger: invoices, lines, payments, refunds, credit notes, the per-organization
invoice counter, and `billing_ledger_entry`, append-only: a trigger refuses every UPDATE,
and every DELETE except the cascade of an organization's own erasure (on PostgreSQL and on
SQLite alike; TRUNCATE, used only by tests to empty tables, fires no row trigger)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.billing import InvoiceStatus, LedgerKind, PaymentMethod, RefundStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

TABLE = "billing_ledger_entry"
REFUSAL = "billing_ledger_entry is append-only: a correction is a new entry"

POSTGRES_UP = (
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (
        SELECT 1 FROM "organization" WHERE "id" = OLD."organization_id"
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{REFUSAL} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql""",
    f'CREATE TRIGGER "{TABLE}_append_only" BEFORE UPDATE OR DELETE ON "{TABLE}" '
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
)
POSTGRES_DOWN = (
    f'DROP TRIGGER IF EXISTS "{TABLE}_append_only" ON "{TABLE}"',
    f"DROP FUNCTION IF EXISTS {TABLE}_append_only()",
)
SQLITE_UP = (
    f'CREATE TRIGGER "{TABLE}_no_update" BEFORE UPDATE ON "{TABLE}" '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    f'CREATE TRIGGER "{TABLE}_no_delete" BEFORE DELETE ON "{TABLE}" '
    f'WHEN EXISTS (SELECT 1 FROM "organization" WHERE "id" = OLD."organization_id") '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
)
SQLITE_DOWN = (
    f'DROP TRIGGER IF EXISTS "{TABLE}_no_update"',
    f'DROP TRIGGER IF EXISTS "{TABLE}_no_delete"',
)


async def _run(schema_editor, statements) -> None:
    for sql in statements:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql)
        else:
            await schema_editor.client.execute_script(sql)


def _postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def append_only(apps, schema_editor) -> None:
    await _run(schema_editor, POSTGRES_UP if _postgres(schema_editor) else SQLITE_UP)


async def writable(apps, schema_editor) -> None:
    await _run(schema_editor, POSTGRES_DOWN if _postgres(schema_editor) else SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [('models', '0027_account_forms')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Invoice',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.NO_ACTION)),
                ('number', fields.BigIntField(null=True)),
                ('status', fields.CharEnumField(default=InvoiceStatus.DRAFT, description='DRAFT: DRAFT\nOPEN: OPEN\nPAID: PAID\nVOID: VOID\nUNCOLLECTIBLE: UNCOLLECTIBLE', enum_type=InvoiceStatus, max_length=16)),
                ('currency', fields.CharField(max_length=3)),
                ('memo', fields.CharField(default='', max_length=500)),
                ('subtotal', fields.BigIntField(default=0)),
                ('tax_total', fields.BigIntField(default=0)),
                ('total', fields.BigIntField(default=0)),
                ('amount_paid', fields.BigIntField(default=0)),
                ('amount_refunded', fields.BigIntField(default=0)),
                ('amount_credited', fields.BigIntField(default=0)),
                ('finalized_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_invoice', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'status', 'id']), Index(fields=['account_id', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='InvoiceCounter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.OneToOneField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='invoice_counter', on_delete=OnDelete.CASCADE)),
                ('last_number', fields.BigIntField(default=0)),
            ],
            options={'table': 'billing_invoice_counter', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The next invoice number of one organization: its row is locked FOR UPDATE by the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceLine',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('description', fields.CharField(max_length=500)),
                ('quantity', fields.IntField()),
                ('unit_amount', fields.BigIntField()),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('tax_codes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('taxes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'billing_invoice_line', 'app': 'models', 'indexes': [Index(fields=['invoice_id', 'id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.NO_ACTION)),
                ('kind', fields.CharEnumField(description='INVOICE: INVOICE\nPAYMENT: PAYMENT\nREFUND: REFUND\nCREDIT_NOTE: CREDIT_NOTE\nVOID: VOID', enum_type=LedgerKind, max_length=12)),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('source_type', fields.CharField(max_length=20)),
                ('source_id', fields.BigIntField()),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', null=True, db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.NO_ACTION)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_ledger_entry', 'app': 'models', 'indexes': [Index(fields=['account_id', 'created_at', 'id'])], 'pk_attr': 'id', 'table_description': 'One money movement on an account, positive when the account owes more. Append-only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payment',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.ClientAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.NO_ACTION)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.NO_ACTION)),
                ('method', fields.CharEnumField(description='CARD: CARD\nCASH: CASH\nCHEQUE: CHEQUE\nTRANSFER: TRANSFER', enum_type=PaymentMethod, max_length=8)),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('amount_refunded', fields.BigIntField(default=0)),
                ('reference', fields.CharField(default='', max_length=200)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_payment', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id']), Index(fields=['account_id', 'id']), Index(fields=['invoice_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Refund',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.CASCADE)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.NO_ACTION)),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('reason', fields.CharField(max_length=500)),
                ('idempotency_key', fields.CharField(max_length=255)),
                ('request', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=RefundStatus.PENDING, description='PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=RefundStatus, max_length=10)),
                ('provider_reference', fields.CharField(default='', max_length=200)),
                ('failure', fields.CharField(default='', max_length=500)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='refunds_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'billing_refund', 'app': 'models', 'indexes': [Index(fields=['payment_id']), Index(fields=['organization_id', 'status'])], 'pk_attr': 'id', 'table_description': 'Written, with its idempotency key, before the provider is called (in a job).'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='CreditNote',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='credit_notes', on_delete=OnDelete.CASCADE)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='credit_notes', on_delete=OnDelete.NO_ACTION)),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('reason', fields.CharField(max_length=500)),
                ('refund', fields.OneToOneField('models.Refund', source_field='refund_id', null=True, db_constraint=True, to_field='id', related_name='credit_note', on_delete=OnDelete.NO_ACTION)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='credit_notes_created', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'billing_credit_note', 'app': 'models', 'indexes': [Index(fields=['invoice_id'])], 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        # Tortoise's CreateModel ignores Meta.constraints (carnet/migrations.py).
        ops.AddConstraint(model_name='Invoice', constraint=UniqueConstraint(fields=('organization_id', 'number'), name='billing_invoice_number')),
        ops.AddConstraint(model_name='Refund', constraint=UniqueConstraint(fields=('organization_id', 'idempotency_key'), name='billing_refund_key')),
        ops.RunPython(append_only, reverse_code=writable),
    ]
