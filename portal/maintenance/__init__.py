"""Maintenance playbook runs by certified technicians (运维作业)."""
