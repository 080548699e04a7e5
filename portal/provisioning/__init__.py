"""Provisioning: operations and their steps, the engine that runs them against a cloud
driver and Ansible, and the Celery tasks that drive the engine."""
