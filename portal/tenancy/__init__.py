"""Agencies, their tree, business domains and quotas."""
