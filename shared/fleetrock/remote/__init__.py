"""Fleetrock's API as we call it: the client, the contract we rely on, its dates, finding repair orders."""
