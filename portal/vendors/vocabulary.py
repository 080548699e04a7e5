"""The skills a certificate may cover, with their labels in the interface."""

from flask_babel import lazy_gettext as _l

SKILLS = {
    "os": _l("Operating systems"),
    "database": _l("Database administration"),
    "network": _l("Networks"),
    "storage": _l("Storage"),
    "middleware": _l("Middleware"),
    "security": _l("Information security"),
    "application": _l("Application systems"),
}
# The exam's pass mark: a lower score issues no certificate.
PASS_MARK = 60
# Technicians and their managers are told this many days before a certificate expires.
EXPIRY_NOTICE_DAYS = 30
