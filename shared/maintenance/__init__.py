"""Maintenance status and dispatch: an asset's statuses from its causes, fed by Fleetrock (fleetrock.md)."""
