"""Delivery providers: email (outbox or SMTP) and SMS (outbox or a Twilio-compatible API)."""
