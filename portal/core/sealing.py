"""Secrets kept for a while (a database password until its owner has seen it once),
encrypted at rest with a key derived from the portal's secret key."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet():
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"jiyun sealed secrets"
    ).derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plaintext):
    return _fernet().encrypt(plaintext.encode()).decode()


def unseal(token):
    """The plaintext, or None if the key changed since it was sealed."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
