"""Metering, rating and chargeback bills in the portal."""
