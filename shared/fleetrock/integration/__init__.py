"""An integration's set-up: configure, activate, deactivate, rotate; its credentials, data and routes."""
