"""Plans, subscriptions, the catalogue, bookings and purchases: types.py, plans.py,
items.py, holdings.py."""
