"""Plans, subscriptions, the catalogue, bookings and purchases (issue 14, before invoicing)."""
