"""Data access of push subscriptions and of their deliveries (one module per aggregate)."""
