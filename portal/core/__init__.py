"""Shared machinery: database base and types, audit log, errors, time."""
