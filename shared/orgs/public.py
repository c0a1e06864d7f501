"""What other capabilities may use of organizations: read a profile, and its item's type; an
organization's users (who a notification mails), the organization of a user's email address; a
fleet's internal team (partners/teams.py): its organization, its users."""

from shared.orgs.dal import (
    get_org_item,
    list_user_items,
    org_id_of_email,
    org_id_of_partner,
    partner_claim_pk,
    users_of,
)
from shared.orgs.location import GEO_PREFIX, PARTITION_BITS, PARTITION_PRECISION, geo_partition
from shared.orgs.logic import add_team_organization, add_user, new_partner_id
from shared.orgs.models import OrgItem, User, UserCreate

__all__ = ["GEO_PREFIX", "PARTITION_BITS", "PARTITION_PRECISION", "OrgItem", "User", "UserCreate",
           "add_team_organization", "add_user", "geo_partition", "get_org_item", "list_user_items", "new_partner_id",
           "org_id_of_email", "org_id_of_partner", "partner_claim_pk", "users_of"]
