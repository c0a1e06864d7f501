"""Site and service pictures in S3: keys under a per-vendor, per-site prefix, served presigned only.

Presigned URLs are virtual-hosted (`https://<bucket>.s3.<region>.amazonaws.com/<key>?X-Amz-...`):
the bucket name shows only in the signed URL's host, never as a field of an answer. Presigning
is local computation (no network), so the dev stack and the tests presign with boto3 as well.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from shared.errors import Unprocessable
from shared.settings import SettingsError, get_settings

URL_TTL = timedelta(minutes=10)
UPLOAD_TTL = timedelta(minutes=15)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}


def site_prefix(org_id: str, site_id: str) -> str:
    """Every picture of a site lies under this prefix; a key elsewhere is refused (422) or never signed."""
    return f"vendors/{org_id}/sites/{site_id}/"


def check_keys(org_id: str, site_id: str, keys: list[str], field: str) -> list[str]:
    prefix = site_prefix(org_id, site_id)
    wrong = [k for k in keys if not k.startswith(prefix) or "/../" in k or k.endswith("/")]
    if wrong:
        raise Unprocessable.field(field, f"picture keys must lie under {prefix} (upload with picture-uploads)")
    return list(dict.fromkeys(keys))


@cache
def _s3() -> Any:
    import boto3
    from botocore.config import Config

    config = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
    return boto3.client("s3", region_name=get_settings().aws_region, config=config)


def _bucket() -> str:
    bucket = get_settings().pictures_bucket
    if not bucket:
        raise SettingsError("PICTURES_BUCKET is not set: the portal cannot sign picture URLs")
    return bucket


def presigned_get(org_id: str, site_id: str, keys: list[str], now: datetime) -> list[tuple[str, datetime]]:
    """(url, expires_at) for each key of this site; keys outside the site's prefix are never signed."""
    prefix = site_prefix(org_id, site_id)
    seconds = int(URL_TTL.total_seconds())
    return [
        (_s3().generate_presigned_url("get_object", Params={"Bucket": _bucket(), "Key": key}, ExpiresIn=seconds),
         now + URL_TTL)
        for key in keys
        if key.startswith(prefix)
    ]


def presigned_put(key: str, content_type: str) -> str:
    url: str = _s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": _bucket(), "Key": key, "ContentType": content_type},
        ExpiresIn=int(UPLOAD_TTL.total_seconds()),
    )
    return url
