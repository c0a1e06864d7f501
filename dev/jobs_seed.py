"""Demo jobs for `make dev`: the demo fleet's jobs with its installation partner (the demo vendor), one in
each stage, and a job template; written through the same logic the API calls."""

from __future__ import annotations

from shared.auth.principal import Principal
from shared.jobs import logic, partner
from shared.jobs.bodies import JobCreate, SucceedBody, VersionBody
from shared.orgs import dal as orgs_dal

BOX_CONFIG = {"apn": "iot.harborfreight", "report_interval_s": 30, "can_bus": True, "firmware": "2.4.1"}


def seed_jobs(fleet: Principal, vendor: Principal, asset_ids: list[str]) -> None:
    """PENDING (saved as the template "Telematics box v2"), ASSIGNED, RUNNING and SUCCEEDED jobs."""
    vendor_org = orgs_dal.get_org_item(vendor.org_id)
    assert vendor_org is not None and vendor_org.partner_id, "the demo vendor has a partner ID"
    pid = vendor_org.partner_id
    logic.create_job(fleet, JobCreate(kind="installation", asset_id=asset_ids[0], title="Install telematics box v2",
                                      configuration=BOX_CONFIG, due_date=None, save_as_template="Telematics box v2"))
    logic.create_job(fleet, JobCreate(kind="installation", asset_id=asset_ids[1], title="Install telematics box v2",
                                      configuration=BOX_CONFIG, partner_id=pid))
    running = logic.create_job(fleet, JobCreate(kind="maintenance", asset_id=asset_ids[2], title="Brake inspection",
                                                description="Check pads, drums and lines", partner_id=pid))
    partner.start_job(vendor, running.job_id, VersionBody())
    done = logic.create_job(fleet, JobCreate(kind="maintenance", asset_id=asset_ids[3], title="Replace dash camera",
                                             description="Swap the cracked dash camera", partner_id=pid))
    partner.start_job(vendor, done.job_id, VersionBody())
    partner.succeed_job(vendor, done.job_id, SucceedBody(note="camera replaced and tested"))
