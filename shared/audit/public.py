"""What other capabilities may use of the audit trail: record an event in their own transaction."""

from shared.audit.dal import add_audit_event

__all__ = ["add_audit_event"]
