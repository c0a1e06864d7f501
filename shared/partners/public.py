"""What other capabilities may use of installation partners: who a fleet's accepted partner is."""

from shared.partners.dal import accepted_partner, invitation_sk
from shared.partners.models import PartnerInvitationItem, PartnerRecord, PartnerStatus

__all__ = ["PartnerInvitationItem", "PartnerRecord", "PartnerStatus", "accepted_partner", "invitation_sk"]
