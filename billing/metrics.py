"""What is metered: the metrics, their units, and how fast a resource accrues each.

A resource accrues every metric at a whole number of units per second while it is in a
billable state; quantities are kept as integer unit-seconds, exact on every database,
and become unit-hours only when rated (quantity / 3600 × yuan per unit-hour).
"""

from dataclasses import dataclass

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Metric:
    key: str
    unit: str
    name_zh: str
    name_en: str
    # What the rate depends on beyond the metric: the flavour, the database engine.
    dimension: str | None = None
    # A price list may give one rate for every value of the dimension: a volume's
    # type, which the lists written before types were priced do not name.
    one_rate_for_all: bool = False

    def name(self, locale):
        return self.name_zh if str(locale).startswith("zh") else self.name_en

    @property
    def dimension_rule(self):
        """How a price list gives this metric's rates: None (one rate, by tier),
        "required" (a rate per dimension) or "optional" (either)."""
        if self.dimension is None:
            return None
        return "optional" if self.one_rate_for_all else "required"


METRICS = {
    metric.key: metric
    for metric in (
        Metric("instance_hours", "h", "云主机时长", "Instance hours", dimension="flavour"),
        Metric("vcpu_hours", "vCPU·h", "vCPU 时长", "vCPU hours"),
        Metric("ram_gb_hours", "GB·h", "内存", "Memory GB-hours"),
        Metric("disk_gb_hours", "GB·h", "云主机磁盘", "Server disk GB-hours"),
        Metric(
            "volume_gb_hours",
            "GB·h",
            "云硬盘",
            "Volume GB-hours",
            dimension="volume_type",
            one_rate_for_all=True,
        ),
        Metric("snapshot_gb_hours", "GB·h", "快照", "Snapshot GB-hours"),
        Metric("db_instance_hours", "h", "数据库实例时长", "Database hours", dimension="engine"),
        Metric("db_storage_gb_hours", "GB·h", "数据库存储", "Database storage GB-hours"),
    )
}
DIMENSION_RULES = {key: metric.dimension_rule for key, metric in METRICS.items()}

# The states in which a resource costs anything; provisioning, failed, missing and
# deleted resources cost nothing (a missing one is the operators' fault, not the agency's).
BILLABLE_STATES = frozenset({"active", "stopped"})

# What a stopped resource still costs when its catalog item says nothing: its storage.
DEFAULT_STOPPED_METRICS = (
    "disk_gb_hours",
    "volume_gb_hours",
    "snapshot_gb_hours",
    "db_storage_gb_hours",
)


def accrual_rates(kind, item_key, state, size, stopped_metrics=DEFAULT_STOPPED_METRICS):
    """{(metric, dimension): units per second} for a resource in a state and size."""
    if state not in BILLABLE_STATES:
        return {}
    rates = {}
    if kind == "vm":
        flavour = size.get("cloud_flavor")
        if flavour:
            rates["instance_hours", flavour] = 1
        else:  # a custom size is priced by what it holds
            rates["vcpu_hours", ""] = int(size.get("vcpus") or 0)
            rates["ram_gb_hours", ""] = int(size.get("ram_gb") or 0)
        rates["disk_gb_hours", ""] = int(size.get("root_disk_gb") or 0) + int(
            size.get("data_volume_gb") or 0
        )
    elif kind == "volume":
        # A volume made before types were recorded has none: priced by the one rate.
        volume_type = size.get("cloud_volume_type") or ""
        rates["volume_gb_hours", volume_type] = int(size.get("size_gb") or 0)
    elif kind == "database":
        rates["db_instance_hours", item_key] = 1
        rates["db_storage_gb_hours", ""] = int(size.get("storage_gb") or 0)
    rates["snapshot_gb_hours", ""] = int(size.get("snapshot_gb") or 0)
    if state == "stopped":
        rates = {key: rate for key, rate in rates.items() if key[0] in stopped_metrics}
    return {key: rate for key, rate in rates.items() if rate > 0}
