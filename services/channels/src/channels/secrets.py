"""Connector secrets at rest: encrypted with a key from settings (Fernet: AES-128-CBC plus
HMAC-SHA256), so a database dump or backup does not hand out shop credentials.

Values are stored as "fernet:<token>". Decryption with the wrong key fails loudly instead of
returning garbage. A value without the prefix was written before encryption existed (schema
0001) and is read as it is; every write seals."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

_PREFIX = "fernet:"


class SecretBox:
    def __init__(self, key: str):
        # Any passphrase works: it is stretched to the 32 bytes Fernet wants. A proper
        # Fernet key (urlsafe base64 of 32 bytes) is used as it is.
        try:
            raw = base64.urlsafe_b64decode(key.encode())
            material = key.encode() if len(raw) == 32 else None
        except ValueError:
            material = None
        if material is None:
            material = base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())
        self._fernet = Fernet(material)

    def seal(self, plain: str | None) -> str | None:
        if plain is None:
            return None
        return _PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        if not sealed.startswith(_PREFIX):
            return sealed
        try:
            return self._fernet.decrypt(sealed[len(_PREFIX):].encode()).decode()
        except InvalidToken:
            raise ValueError("connector secret cannot be decrypted with CHANNELS_SECRETS_KEY") from None
