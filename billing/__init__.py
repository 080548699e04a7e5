"""Metering, price lists, rating and bill exports: a library the portal uses (no portal imports)."""
