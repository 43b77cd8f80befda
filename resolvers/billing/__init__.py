"""Billing: invoices, payments, refunds, credit notes and the account ledger."""
