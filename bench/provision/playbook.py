"""One trivial playbook (playbooks/trivial.yml here), run three ways, interleaved:

- cli:     `ansible-playbook -i hosts.json trivial.yml` in a subprocess
- runner:  ansible_runner.run(...) in this process
- portal:  portal.provisioning.ansible.run_playbook(...) in this process, as an engine
           step calls it (an on_event callback, a timeout), not a whole operation: a
           whole operation adds its step commits, which the VM figures show already.

All three read the same ansible.cfg (a copy of playbooks/ansible.cfg, beside the
playbook) and the same inventory (localhost, local connection, this interpreter: what
run_playbook writes). run_playbook only runs playbooks from the repository's
playbooks/ folder; here its PLAYBOOKS_DIR is pointed at bench/provision/playbooks for
the run, so that nothing is added to the portal's own playbooks.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import ansible_runner

from portal.provisioning import ansible as portal_ansible

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
PLAYBOOK = "trivial.yml"
WAYS = ("cli", "runner", "portal")
INVENTORY = {
    "all": {
        "hosts": {
            "localhost": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
            }
        }
    }
}


def _cli(work, _number):
    inventory = work / "hosts.json"
    argv = ["ansible-playbook", "-i", inventory, PLAYBOOK]
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=PLAYBOOKS, capture_output=True, text=True)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"ansible-playbook failed:\n{done.stdout[-2000:]}\n{done.stderr}")
    return took


def _runner(work, number):
    began = time.perf_counter()
    private = work / f"runner-{number}"
    private.mkdir()  # run_playbook makes its own too; both inside the timing
    result = ansible_runner.run(
        private_data_dir=str(private),
        project_dir=str(PLAYBOOKS),
        playbook=PLAYBOOK,
        inventory=str(work / "hosts.json"),
        extravars={"state": "present"},
        quiet=True,
        # As run_playbook does: otherwise ansible-runner takes over SIGINT/SIGTERM for
        # good, and Ctrl-C would no longer stop the benchmark.
        cancel_callback=lambda: False,
    )
    took = time.perf_counter() - began
    if result.status != "successful":
        raise RuntimeError(f"ansible_runner.run ended {result.status}")
    return took


def _portal(work, number):
    began = time.perf_counter()
    result = portal_ansible.run_playbook(
        PLAYBOOK,
        ident=f"portal-{number}",
        base_dir=str(work / "portal"),
        extravars={"state": "present"},
        on_event=lambda _event: None,
        timeout=120,
    )
    took = time.perf_counter() - began
    if result.status != "successful" or result.outputs != {"done": True}:
        raise RuntimeError(f"run_playbook ended {result.status}: {result.failure}")
    return took


RUN = {"cli": _cli, "runner": _runner, "portal": _portal}


def measure(work, samples, warmup=1):
    """{way: [seconds, ...]}, the ways rotated each round so none always goes first."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "hosts.json").write_text(json.dumps(INVENTORY))
    # The venv's ansible-playbook for all three (run_playbook puts it first on PATH).
    venv_bin = str(Path(sys.executable).parent)
    if os.environ["PATH"].split(os.pathsep)[0] != venv_bin:
        os.environ["PATH"] = f"{venv_bin}{os.pathsep}{os.environ['PATH']}"
    saved = portal_ansible.PLAYBOOKS_DIR
    portal_ansible.PLAYBOOKS_DIR = PLAYBOOKS
    times = {way: [] for way in WAYS}
    try:
        for way in WAYS:  # ansible's imports into the page cache, not recorded
            for number in range(warmup):
                RUN[way](work, f"w{number}")
        for number in range(samples):
            shift = number % len(WAYS)
            for way in WAYS[shift:] + WAYS[:shift]:
                times[way].append(RUN[way](work, number))
            print(
                "  playbook " + ", ".join(f"{way} {times[way][-1] * 1000:.0f} ms" for way in WAYS),
                flush=True,
            )
    finally:
        portal_ansible.PLAYBOOKS_DIR = saved
        shutil.rmtree(work, ignore_errors=True)
    return times
