"""Webhooks in and their stream work: intake, inbox, samples, and repair orders / maintenance items applied."""
