"""Fleetrock integration (fleetrock.md): remote, integration, inbox, sync, refresh, history; feeds maintenance."""

# the largest webhook body we accept: the webhook handler's entry point checks it before any import
# of the webhook's code (shared/api/lazy_routers.py), and shared/fleetrock/inbox/webhook.py again
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
