"""Helpers that only the devcloud's OpenStack services load."""
