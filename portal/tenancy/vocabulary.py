"""The fixed vocabularies of tenancy: agency kinds, business domains, outsourcing
modes and quota resources, with their labels in the interface."""

from flask_babel import lazy_gettext as _l

AGENCY_KINDS = {
    "district": _l("District"),
    "bureau": _l("Bureau"),
    "town": _l("Town / sub-district"),
    "community": _l("Community"),
}
# Which kind of agency may sit under which: district → bureau | town → community.
CHILD_KINDS = {
    "district": {"bureau", "town"},
    "bureau": set(),
    "town": {"community"},
    "community": set(),
}

# The district divides e-government into twelve business domains (seed article).
BUSINESS_DOMAINS = {
    "general_affairs": _l("General administration"),
    "public_services": _l("Public services"),
    "urban_management": _l("Urban management"),
    "public_safety": _l("Public safety and emergency"),
    "economy": _l("Economy and commerce"),
    "finance_audit": _l("Finance, tax and audit"),
    "social_security": _l("Human resources and social security"),
    "education_science": _l("Education, science and technology"),
    "health": _l("Health and medical care"),
    "civil_affairs": _l("Civil affairs and communities"),
    "resources_environment": _l("Natural resources and environment"),
    "culture_tourism": _l("Culture, tourism and sports"),
}

OUTSOURCING_MODES = {
    "self_operated": _l("Self-operated"),
    "hybrid": _l("Hybrid outsourcing"),
    "fully_outsourced": _l("Fully outsourced"),
}

# Quota resources, in display order, with their unit.
QUOTA_RESOURCES = {
    "instances": (_l("Instances"), ""),
    "vcpus": (_l("vCPUs"), ""),
    "ram_gb": (_l("Memory"), "GB"),
    "disk_gb": (_l("Disk"), "GB"),
    "databases": (_l("Databases"), ""),
}
