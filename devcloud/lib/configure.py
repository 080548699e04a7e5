"""Render devcloud/etc/* into var/etc/<service>/, writing only what changed.

devcloud/up runs this with the devcloud venv's python. Plain @NAME@ takes the
environment variable NAME (lib/common.sh and var/state/secrets.env supply
them); @AUTH:user@ and @AUTHTOKEN:user@ stand for the keystoneauth lines of a
service user, which every service repeats in several sections. Prints each
file it changed, so up can warn that a running service has an old one.
"""

import os
import pathlib
import re
import sys

DEVCLOUD = pathlib.Path(__file__).resolve().parent.parent
TEMPLATES = {
    "keystone.conf": "keystone/keystone.conf",
    "placement.conf": "placement/placement.conf",
    "glance-api.conf": "glance/glance-api.conf",
    "neutron.conf": "neutron/neutron.conf",
    "ml2_conf.ini": "neutron/ml2_conf.ini",
    "nova.conf": "nova/nova.conf",
    "nova-db.conf": "nova/nova-db.conf",
    "cinder.conf": "cinder/cinder.conf",
}
# The paste pipelines as the services ship them (pip puts them in venv/etc).
PASTE = {
    "glance/glance-api-paste.ini": "glance/glance-api-paste.ini",
    "nova/api-paste.ini": "nova/api-paste.ini",
    "neutron/api-paste.ini": "neutron/api-paste.ini",
    "cinder/api-paste.ini": "cinder/api-paste.ini",
}


def auth_lines(user):
    env = os.environ
    return "\n".join(
        [
            f"auth_url = http://{env['HOST']}:{env['PORT_KEYSTONE']}",
            "auth_type = password",
            f"username = {user}",
            f"password = {env['SERVICE_PASSWORD']}",
            "project_name = service",
            "user_domain_name = Default",
            "project_domain_name = Default",
        ]
    )


def authtoken_section(user):
    env = os.environ
    return "\n".join(
        [
            "[keystone_authtoken]",
            f"www_authenticate_uri = http://{env['HOST']}:{env['PORT_KEYSTONE']}",
            auth_lines(user),
            # Honour the service tokens that Nova and Cinder send.
            "service_token_roles_required = true",
        ]
    )


def render(text):
    def fill(match):
        kind, arg = match.group(1), match.group(2)
        if kind == "AUTH":
            return auth_lines(arg)
        if kind == "AUTHTOKEN":
            return authtoken_section(arg)
        return os.environ[kind]

    return re.sub(r"@([A-Z_]+)(?::([a-z-]+))?@", fill, text)


def write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)  # they hold passwords
    tmp.replace(path)
    return True


def main():
    etc = pathlib.Path(os.environ["ETC"])
    venv_etc = pathlib.Path(os.environ["VENV"]) / "etc"
    changed = []
    for template, target in TEMPLATES.items():
        text = render((DEVCLOUD / "etc" / template).read_text())
        if write_if_changed(etc / target, text):
            changed.append(target)
    for source, target in PASTE.items():
        if write_if_changed(etc / target, (venv_etc / source).read_text()):
            changed.append(target)
    for name in changed:
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
