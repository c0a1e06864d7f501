"""An asset's repair orders from Fleetrock, as its events (GET /assets/{id}/events)."""
