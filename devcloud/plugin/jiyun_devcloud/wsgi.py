"""Load an OpenStack WSGI app under gunicorn with an argv of its own.

Keystone, Nova, Neutron and Cinder parse sys.argv with oslo.config when
their app module is imported, and die on gunicorn's options. gunicorn loads
`jiyun_devcloud.wsgi:application`; this module swaps in a clean argv from
DEVCLOUD_WSGI_ARGV (shell words, e.g. "--config-file /x/cinder.conf"),
imports DEVCLOUD_WSGI_MODULE and hands its `application` on.
"""

import importlib
import os
import shlex
import sys

_module = os.environ["DEVCLOUD_WSGI_MODULE"]
_saved_argv = sys.argv
sys.argv = [_module, *shlex.split(os.environ.get("DEVCLOUD_WSGI_ARGV", ""))]
try:
    application = importlib.import_module(_module).application
finally:
    sys.argv = _saved_argv
