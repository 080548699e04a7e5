"""A maintenance run's ansible-runner artifacts (its job events, stdout, status and return
code) as one zip, for whoever may see the run: auditors and the agency can read what was
done without a shell on the worker. Credentials never reach the artifacts: the runner
passes them as secrets ansible-runner does not write (provisioning.ansible), and the
integration tests look for them there. Only folders under the runs' own root are read."""

import io
import zipfile
from pathlib import Path

from flask_babel import lazy_gettext as _l

from portal.core.errors import NotFound


def runs_root(config):
    """Where the maintenance runs' ansible-runner folders live (as the runner puts them)."""
    return Path(config["MAINTENANCE_DIR"] or Path(config["ANSIBLE_DIR"]) / "maintenance")


def artifacts_zip(run, root):
    """(zip bytes, file name) of the run's artifacts folder, or NotFound saying why not."""
    folder = Path(run.artifact_path).resolve() if run.artifact_path else None
    if folder is None or not folder.is_dir() or Path(root).resolve() not in folder.parents:
        raise NotFound(
            _l("This run kept no artifacts: it did not run, or ran on the simulated automation.")
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue(), f"maintenance-run-{run.id}-artifacts.zip"
