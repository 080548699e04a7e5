"""How steps run playbooks: for real through ansible-runner, or simulated.

The simulated runner belongs with the simulated cloud (the embedded default and fast
unit tests): it runs nothing and publishes what the real playbook would, so that the
rest of the engine is exercised the same way. JIYUN_AUTOMATION chooses; it follows
the cloud driver unless set.
"""

from portal.provisioning.ansible import PlaybookResult, run_playbook

# What each playbook publishes (set_stats `jiyun`), from its variables.
SIMULATED_OUTPUTS = {
    "database_postgresql.yml": lambda v: {
        "host": v["db_host"],
        "port": v["db_port"],
        "database": v["db_name"],
        "user": v["db_owner"],
    },
    "database_mysql.yml": lambda v: {
        "host": v["db_host"],
        "port": v["db_port"],
        "database": v["db_name"],
        "user": v["db_owner"],
    },
    "vm_post_boot.yml": lambda v: {
        "inventory_file": f"{v['managed_hosts_dir']}/{v['hostname']}.yml"
    },
}


def simulated_playbook(
    playbook,
    *,
    ident,
    base_dir,
    extravars=None,
    secrets=None,
    on_event=None,
    timeout=600,
    check=False,
):
    extravars = extravars or {}
    if on_event is not None:
        on_event(
            {
                "event": "ok" if check else "changed",
                "task": f"{playbook} (simulated)",
                "host": "localhost",
                "changed": not check,
                "failed": False,
                "msg": None,
            }
        )
    outputs = {}
    if extravars.get("state", "present") == "present":
        outputs = SIMULATED_OUTPUTS.get(playbook, lambda _v: {})(extravars)
    return PlaybookResult("successful", 0, outputs, None, f"{base_dir}/{ident} (simulated)")


def make_playbook_runner(config):
    mode = config["AUTOMATION"]
    if mode == "ansible":
        return run_playbook
    if mode == "simulated":
        return simulated_playbook
    raise ValueError(f"JIYUN_AUTOMATION must be 'ansible' or 'simulated', not {mode!r}")
