"""Vendors, contracts, technicians and their certificates."""
