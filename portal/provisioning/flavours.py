"""Custom VM sizes as cloud flavours.

The catalog's named sizes map to flavours the platform team keeps (jy.small…); a
custom size (vCPUs and RAM chosen in the form) has no flavour until someone needs it.
Its flavour is named after the size, so every order of that size shares it, and the
driver makes it on the cloud the first time a server is created or resized to it.
"""

import re

_CUSTOM = re.compile(r"jy\.custom-([1-9][0-9]*)c([1-9][0-9]*)g")
# A flavour's disk is the server's root disk (servers boot from their image: see the
# OpenStack driver); a custom size gets the catalog's default system disk.
CUSTOM_DISK_GB = 40


def custom_flavor_name(vcpus, ram_gb):
    return f"jy.custom-{vcpus}c{ram_gb}g"


def custom_flavor_size(name):
    """(vcpus, ram_gb) of a custom size's flavour name, or None for any other name."""
    found = _CUSTOM.fullmatch(name or "")
    return (int(found[1]), int(found[2])) if found else None
