"""Incidents, SLA clocks, knowledge base."""
