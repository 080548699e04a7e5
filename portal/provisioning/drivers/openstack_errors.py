"""How the OpenStack driver turns openstacksdk's and keystoneauth's errors into the
interface's three: TransientCloudError (try again later), NotFoundInCloud and
CloudError (permanent, with the cloud's own message for the timeline)."""

import functools

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as os_exceptions

from portal.provisioning.drivers.base import CloudError, NotFoundInCloud, TransientCloudError

# 408 request timeout, 429 rate limited: the same call may pass later. 413 is not
# here: Cinder answers it for "exceeds allowed gigabytes quota", which waits for nobody.
TRANSIENT_STATUSES = frozenset({408, 429})


def translated(method):
    """Let a driver method raise only the interface's errors."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except CloudError:
            raise
        except Exception as error:
            mapped = translate(error)
            if mapped is None:
                raise
            raise mapped from error

    return wrapper


def translate(error):
    """The interface's error for an SDK or keystoneauth one; None for anything else
    (a bug of ours, which should surface as itself)."""
    if isinstance(error, ks_exceptions.ConnectionError):
        # Refused, reset, timed out, TLS: the cloud is away, not wrong.
        return TransientCloudError(f"The cloud does not answer: {error}")
    if isinstance(error, os_exceptions.HttpException):
        return for_status(error.status_code, error.details or error.message or str(error))
    if isinstance(error, ks_exceptions.HttpError):
        # Raised by keystoneauth itself, e.g. while it fetches a token.
        return for_status(error.http_status, error.details or error.message)
    if isinstance(error, ks_exceptions.ClientException | os_exceptions.SDKException):
        # Bad clouds.yaml, no such endpoint in the catalog, failed discovery.
        return CloudError(f"The cloud could not be used: {error}")
    return None


def for_status(status, message):
    message = str(message).strip() or f"HTTP {status}"
    if status is None or status >= 500 or status in TRANSIENT_STATUSES:
        return TransientCloudError(message)
    if status == 404:
        return NotFoundInCloud(message)
    # Nova answers 409 both for "busy now" ("... while it is in task_state
    # powering-off") and for "never in this state" ("... in vm_state stopped").
    if status == 409 and "task_state" in message:
        return TransientCloudError(message)
    return CloudError(message)
