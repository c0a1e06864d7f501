"""Notifications: what a party must know, on its dashboard and by email to the users who want it."""
