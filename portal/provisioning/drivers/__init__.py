"""Cloud drivers behind one interface (base.CloudDriver), chosen by JIYUN_CLOUD_DRIVER."""

from flask import current_app


def make_driver(config):
    """The driver the settings name: `simulated` (the default) or `openstack`."""
    name = config["CLOUD_DRIVER"]
    if name == "openstack":
        from portal.provisioning.drivers.openstack import OpenStackDriver

        return OpenStackDriver(
            config["OS_CLOUD"],
            network=config["OS_NETWORK"] or None,
            poll_interval=config["OS_POLL_SECONDS"],
            action_timeout=config["PROVISION_WAIT_SECONDS"],
        )
    if name == "simulated":
        from portal.provisioning.drivers.simulated import SimulatedDriver

        return SimulatedDriver(
            config["SIMULATED_CLOUD_PATH"], boot_seconds=config["SIMULATED_BOOT_SECONDS"]
        )
    raise ValueError(f"JIYUN_CLOUD_DRIVER must be 'simulated' or 'openstack', not {name!r}")


def current_driver():
    """One driver per app (and so per worker process): drivers cache connections."""
    driver = current_app.extensions.get("jiyun_cloud_driver")
    if driver is None:
        driver = current_app.extensions["jiyun_cloud_driver"] = make_driver(current_app.config)
    return driver
