"""Run one of the repository's playbooks (playbooks/) with ansible-runner, for real.

Each run gets its own private data directory, `<base_dir>/<ident>`, kept afterwards with
ansible-runner's artifacts (artifacts/<ident>/: job_events, stdout, command, rc, status)
for the operation's record.

Secrets never enter that directory. They go to a 0600 file outside it, removed when the
run ends; the playbook gets only its path (extravar `jiyun_secrets_file`), loads it with
include_vars under no_log, and every task that uses a secret has no_log, so Ansible
censors their results in events and stdout. ansible-runner would also copy the whole
environment of this process (the portal's own keys and database URL) into
artifacts/<ident>/command and hand it to ansible-playbook; the run gets a trimmed one.

Every string the caller passes (extravars and secrets) reaches Ansible tagged !unsafe:
Ansible templates variable values, so a host name or password holding "{{ … }}" would
otherwise be evaluated on the automation host.

`ansible_runner.run()` is RunnerConfig + prepare() + Runner.run(); it is spelled out here
so that the environment can be trimmed between prepare() and the run.
"""

import json
import logging
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from ansible_runner import Runner, RunnerConfig

logger = logging.getLogger(__name__)

PLAYBOOKS_DIR = Path(__file__).resolve().parents[2] / "playbooks"
IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # one path component: it names a directory
SECRETS_VAR = "jiyun_secrets_file"
OUTPUTS_KEY = "jiyun"
HIDDEN = "********"

# What ansible-playbook may inherit from this process; everything else it gets comes
# from ansible-runner itself (its callback, artifact and cache settings).
INHERITED = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR"}
INHERITED_PREFIXES = ("LC_", "ANSIBLE_")

# ansible-runner's event name -> the name the timeline shows.
TASK_EVENTS = {
    "runner_on_start": "start",
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
}


@dataclass(frozen=True)
class PlaybookResult:
    status: str  # ansible-runner's: "successful", "failed", "timeout", "canceled"
    rc: int
    outputs: dict  # set_stats data under `jiyun` (aggregate/per_host false), {} if none
    failure: str | None  # the first failed task's name and its msg, or the timeout
    artifact_dir: str


def run_playbook(
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
    """Run `playbooks/<playbook>` against the automation host and report how it went.

    `on_event` gets a small dict per task event (see _Watcher); it should not raise, and
    when it does the error is logged and the run goes on.
    """
    if not IDENT.fullmatch(ident):
        raise ValueError(f"ident {ident!r} is not a plain name")
    project_file = (PLAYBOOKS_DIR / playbook).resolve()
    if not project_file.is_relative_to(PLAYBOOKS_DIR) or not project_file.is_file():
        raise ValueError(f"no playbook {playbook!r} in {PLAYBOOKS_DIR}")
    if extravars and SECRETS_VAR in extravars:
        raise ValueError(f"{SECRETS_VAR} is set by run_playbook, not by its caller")

    private_data_dir = Path(base_dir) / ident
    # A redelivered task runs the same ident again: start clean, or ansible-runner would
    # mix the two attempts' job events in one artifact directory.
    if private_data_dir.exists():
        shutil.rmtree(private_data_dir)
    private_data_dir.mkdir(mode=0o700, parents=True)
    inventory = private_data_dir / "inventory" / "hosts.json"
    inventory.parent.mkdir()
    inventory.write_text(json.dumps(_inventory()))

    watcher = _Watcher(on_event, (secrets or {}).values())
    secrets_file = _write_secrets(secrets or {})
    try:
        # ansible-runner passes env/extravars on with `-e @file` when it exists.
        (private_data_dir / "env").mkdir()
        (private_data_dir / "env" / "extravars").write_text(
            _as_ansible_data({**(extravars or {}), SECRETS_VAR: secrets_file})
        )
        config = RunnerConfig(
            private_data_dir=str(private_data_dir),
            project_dir=str(PLAYBOOKS_DIR),
            playbook=str(project_file.relative_to(PLAYBOOKS_DIR)),
            inventory=str(inventory),
            cmdline="--check" if check else None,
            ident=ident,
            timeout=timeout,
            quiet=True,
        )
        config.prepare()
        config.env = _trimmed_env(config.env)
        # An explicit cancel callback keeps ansible-runner from installing its own
        # SIGTERM/SIGINT handlers, which would replace the Celery worker's for good.
        runner = Runner(config, event_handler=watcher, cancel_callback=lambda: False)
        status, rc = runner.run()
    finally:
        os.unlink(secrets_file)

    failure = watcher.failure()
    if status == "timeout":
        during = f" during task {watcher.last_task!r}" if watcher.last_task else ""
        failure = f"the playbook did not finish within {timeout} s and was stopped{during}"
    elif status != "successful" and failure is None:
        failure = watcher.scrub(_last_error(Path(config.artifact_dir)) or f"exit code {rc}")
    return PlaybookResult(
        status=status,
        rc=rc,
        outputs=watcher.outputs,
        failure=failure,
        artifact_dir=config.artifact_dir,
    )


def _inventory():
    # The running interpreter, so that modules find the database drivers of this venv.
    localhost = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    return {"all": {"hosts": {"localhost": localhost}}}


def _write_secrets(secrets):
    """A 0600 file outside the private data directory holding the secrets; returns its path."""
    descriptor, path = tempfile.mkstemp(prefix="jiyun-secrets-", suffix=".yml")
    with os.fdopen(descriptor, "w") as secrets_file:
        secrets_file.write(_as_ansible_data(secrets))
    return path


class _Unsafe(str):
    """A string Ansible takes as data, never as a template."""


class _UnsafeDumper(yaml.SafeDumper):
    pass


_UnsafeDumper.add_representer(
    _Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", value)
)


def _as_ansible_data(variables):
    """YAML for Ansible with every string value tagged !unsafe."""

    def tag(value):
        if isinstance(value, str):
            return _Unsafe(value)
        if isinstance(value, dict):
            return {key: tag(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [tag(item) for item in value]
        return value

    return yaml.dump(tag(variables), Dumper=_UnsafeDumper)


def _trimmed_env(env):
    """ansible-runner's environment without what it copied from this process beyond the
    basics; the venv's bin first on PATH, so `ansible-playbook` is this venv's."""
    trimmed = {
        name: value
        for name, value in env.items()
        if os.environ.get(name) != value  # set by ansible-runner
        or name in INHERITED
        or name.startswith(INHERITED_PREFIXES)
    }
    venv_bin = os.path.dirname(sys.executable)
    trimmed["PATH"] = os.pathsep.join(filter(None, (venv_bin, trimmed.get("PATH"))))
    return trimmed


def _last_error(artifact_dir):
    """The last error line ansible-playbook printed, else its last line, for failures
    outside any task (a syntax error, a missing module, no ansible-playbook at all)."""
    stdout = artifact_dir / "stdout"
    if not stdout.exists():
        return None
    lines = [line.strip() for line in stdout.read_text(errors="replace").splitlines()]
    errors = [line for line in lines if line.startswith(("ERROR!", "[ERROR]"))]
    return (errors or [line for line in lines if line] or [None])[-1]


class _Watcher:
    """The event handler: passes task events on as small plain dicts, remembers the
    first failure and what the playbook published with set_stats."""

    def __init__(self, on_event, secret_values):
        self.on_event = on_event
        self.secret_values = [str(value) for value in secret_values if value]
        self.outputs = {}
        self.last_task = None
        self.failed_task = None
        self.failed_msg = None

    def __call__(self, event):
        data = event.get("event_data", {})
        if event.get("event") == "playbook_on_stats":
            self.outputs = (data.get("artifact_data") or {}).get(OUTPUTS_KEY, {})
        kind = TASK_EVENTS.get(event.get("event"))
        if kind is not None:
            self._task_event(kind, data, event.get("stdout") or "")
        return True  # keep ansible-runner writing the event to job_events

    def _task_event(self, kind, data, stdout):
        result = data.get("res") or {}
        hidden = "censored" in result
        if hidden:
            # ansible-runner keeps nothing of a no_log result, not even `changed`: only
            # the line Ansible printed for it ("changed: [host]") tells.
            msg, changed = None, "changed: [" in stdout
        else:
            msg, changed = result.get("msg"), bool(result.get("changed"))
        summary = {
            "event": "changed" if kind == "ok" and changed else kind,
            "task": data.get("task"),
            "host": data.get("host"),
            "changed": changed,
            "failed": kind in ("failed", "unreachable"),
            "msg": self.scrub(str(msg)) if msg is not None else None,
        }
        if kind == "start":
            self.last_task = summary["task"]
        if summary["failed"] and not data.get("ignore_errors"):
            self.failed_task = self.failed_task or summary["task"]
            # A hidden failure is reported again, by message, by the playbook's rescue.
            self.failed_msg = self.failed_msg or summary["msg"]
        if self.on_event is not None:
            # Raising inside ansible-runner's callback would abandon ansible-playbook
            # mid-run, still running; a lost timeline line is the lesser harm.
            try:
                self.on_event(summary)
            except Exception:
                logger.exception("on_event failed for %s", summary)

    def failure(self):
        if self.failed_task is None:
            return None
        return f"{self.failed_task}: {self.failed_msg or 'failed (its output is hidden by no_log)'}"

    def scrub(self, text):
        """Belt and braces: a secret value never leaves in a message we pass on."""
        for value in self.secret_values:
            text = text.replace(value, HIDDEN)
        return text
