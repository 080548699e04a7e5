"""The inventory (CMDB): resources, their lifecycle events, day-2 actions, leases and
reconciliation with the cloud."""
