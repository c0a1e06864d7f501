"""What other capabilities may use of organizations: read a profile, and its item's type; an
organization's users (who a notification mails), the organization of a user's email address."""

from shared.orgs.dal import get_org_item, org_id_of_email, org_id_of_partner, users_of
from shared.orgs.location import GEO_PREFIX, PARTITION_BITS, PARTITION_PRECISION, geo_partition
from shared.orgs.models import OrgItem

__all__ = ["GEO_PREFIX", "PARTITION_BITS", "PARTITION_PRECISION", "OrgItem", "geo_partition", "get_org_item",
           "org_id_of_email", "org_id_of_partner", "users_of"]
