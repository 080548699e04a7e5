"""Create bench/provision's small tenant and print it as JSON: a district, one bureau
(code from argv) with quotas large enough for the burst, its member (orders) and
manager (deletes), and an API token for each.

The same service functions as the portal's CLI (`users create`, `users token`), in one
process; `flask demo seed` would build 214 agencies that this benchmark never uses.

Usage (JIYUN_* settings from the environment): python bench/provision/tenant.py CODE
"""

import json
import secrets
import sys

from portal import create_app
from portal.accounts.service import create_api_token, create_user
from portal.extensions import db
from portal.tenancy.service import create_agency

# Portal quotas, which the first operation also sets as the project's Nova and Cinder
# quotas: room for the burst's 100 servers and the direct path's in the same project.
QUOTAS = {"instances": 1000, "vcpus": 1000, "ram_gb": 4000, "disk_gb": 100000}


def main(code):
    app = create_app()
    with app.app_context():
        session = db.session
        district = create_agency(
            session,
            None,
            code=f"{code}-district",
            name_zh="基准测试区",
            name_en="Bench district",
            kind="district",
            domain="general_affairs",
            outsourcing_mode="self_operated",
        )
        bureau = create_agency(
            session,
            None,
            code=code,
            name_zh="基准测试局",
            name_en="Bench bureau",
            kind="bureau",
            domain="general_affairs",
            outsourcing_mode="self_operated",
            parent=district,
            quotas=QUOTAS,
        )
        member = create_user(
            session,
            None,
            username=f"{code}.member",
            display_name="Bench member",
            password=secrets.token_urlsafe(16),
            roles=["agency_member"],
            agency_id=bureau.id,
        )
        # Deleting is for the agency's managers (inventory/permissions.py), not members.
        manager = create_user(
            session,
            None,
            username=f"{code}.manager",
            display_name="Bench manager",
            password=secrets.token_urlsafe(16),
            roles=["agency_manager"],
            agency_id=bureau.id,
        )
        tokens = {
            key: create_api_token(session, user, "bench-provision")[1]
            for key, user in (("token", member), ("manager_token", manager))
        }
        session.commit()
        print(json.dumps({"agency_id": bureau.id, "agency_code": code, **tokens}))


if __name__ == "__main__":
    main(sys.argv[1])
