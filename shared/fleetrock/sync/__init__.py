"""Our assets to Fleetrock units, by VIN: the stream work, its state and its sweep."""
