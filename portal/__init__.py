"""Jiyun (集云): the self-service portal of a government private cloud."""

from portal.app import create_app

__all__ = ["create_app"]
