"""Notices to people: in the portal always, by email when SMTP is configured."""
