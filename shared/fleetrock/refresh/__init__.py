"""The daily run: one task per fleet, reconciled with Fleetrock, recomputed and pushed."""
