"""The whistleblower's follow-up token: a lookup id and a secret, in Crockford base32 groups.

    ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345
    └lookup─┘ └──────── secret ───────┘

The lookup id (8 characters, 40 bits) finds the record; the secret (20 characters, 100 bits) proves
possession. Only a hash of the secret with a per-record random salt is stored, so a guess can be
tested against one record at a time, and it is compared in constant time. Crockford's alphabet has
no I, L, O or U, so nothing is ambiguous; a typed I or L is read as 1 and O as 0.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOOKUP_CHARS = 8
SECRET_CHARS = 20
GROUP = 4
SECRET_BITS = SECRET_CHARS * 5
SALT_BYTES = 16
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]")


@dataclass(frozen=True)
class Token:
    lookup: str
    secret: str

    def __str__(self) -> str:
        raw = self.lookup + self.secret
        return "-".join(raw[i:i + GROUP] for i in range(0, len(raw), GROUP))


@dataclass(frozen=True)
class StoredToken:
    """What is kept of a token: the lookup id, a random salt and the salted hash of the secret."""

    lookup: str
    salt: bytes
    digest: bytes


def _random(chars: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(chars))


def new_token() -> Token:
    return Token(_random(LOOKUP_CHARS), _random(SECRET_CHARS))


def digest(secret: str, salt: bytes) -> bytes:
    return hashlib.sha256(salt + secret.encode("ascii")).digest()


def store(token: Token) -> StoredToken:
    salt = secrets.token_bytes(SALT_BYTES)
    return StoredToken(token.lookup, salt, digest(token.secret, salt))


def matches(token: Token, stored: StoredToken) -> bool:
    """Constant-time comparison of the secret's hash (the lookup id is not secret)."""
    return hmac.compare_digest(digest(token.secret, stored.salt), stored.digest)


def normalize(text: str) -> str:
    return _SEPARATORS.sub("", text or "").upper().translate(_READ_AS)


def parse(text: str) -> Token | None:
    """A token as typed or pasted (any case, with or without dashes or spaces), or None."""
    raw = normalize(text)
    if len(raw) != LOOKUP_CHARS + SECRET_CHARS or any(ch not in ALPHABET for ch in raw):
        return None
    return Token(raw[:LOOKUP_CHARS], raw[LOOKUP_CHARS:])


def contains(text: str, token: Token) -> bool:
    """Whether `text` carries the token's secret, however it was spaced or cased."""
    return token.secret in normalize(text)

