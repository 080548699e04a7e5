"""The operations overview (运维概览): failure rates, incidents whose SLA clocks are at
risk, expiring certificates and the platform's weakest spots, for the platform team and,
scoped to their vendor, the vendors' staff."""
