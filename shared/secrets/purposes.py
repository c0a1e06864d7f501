"""What each secret we hold for others is for: the cipher's `purpose` (the KMS encryption context), which
binds a ciphertext to its use, and which the infra's key grants are conditioned on (infra/constructs/data.py)."""

FLEETROCK_API_KEY = "fleetrock_api_key"
FLEETROCK_WEBHOOK_SECRET = "fleetrock_webhook_secret"
PUSH_SUBSCRIPTION_SECRET = "push_subscription_secret"
