"""The identity vault's cryptography (`cryptography`; Shamir shares with `pyshamir`).

Two kinds of protection:

* **Online vault keys** (AES-256-GCM, each with a key id): whistleblower report content, files and
  the push chat id are encrypted at rest; the server decrypts them to show officers the content or
  to send a pushed update. `aduan keys rotate` adds a key and re-encrypts under it; old keys stay
  in the key file only until then. An *index key* turns a Telegram id into a keyed hash for lookups
  (drafts, throttling) without storing the id.
* **The disclosure key** (X25519): the identity record is sealed to its public half (ephemeral
  X25519, HKDF-SHA256, AES-256-GCM). The private half is written once by `aduan keys init`, for the
  operator to move offline, whole or split into k-of-n custodian shares. The server cannot open an
  identity; `aduan vault disclose` can, with the key or enough shares.

The key file is JSON: {"current": id, "keys": {id: b64}, "index": b64, "disclosure_public": b64}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyshamir import combine, split

NONCE = 12
_SEALED = b"V1"  # vault-key blob: V1 | len(key id) | key id | nonce | ciphertext+tag
_IDENTITY = b"X1"  # disclosure blob: X1 | ephemeral public (32) | nonce | ciphertext+tag
_HKDF_INFO = b"kanal-aduan identity v1"
SHARE_HEADER = "kanal-aduan disclosure share"
PRIVATE_HEADER = "kanal-aduan disclosure private key"


class VaultError(Exception):
    """A key is missing, wrong or a blob was tampered with (the message says which)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass
class Vault:
    keys: dict[str, bytes]
    current: str
    index_key: bytes
    disclosure_public: bytes

    # -- online encryption --------------------------------------------------------------------------

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """AES-GCM under the current key; `context` (e.g. "report:12") is bound as associated data,
        so a blob moved to another record does not open."""
        kid = self.current.encode("ascii")
        nonce = secrets.token_bytes(NONCE)
        return _SEALED + bytes([len(kid)]) + kid + nonce + AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        kid = key_id_of(blob)
        key = self.keys.get(kid)
        if key is None:
            raise VaultError(f"vault key {kid!r} is not in the key file")
        start = 3 + len(kid)
        nonce, body = blob[start:start + NONCE], blob[start + NONCE:]
        try:
            return AESGCM(key).decrypt(nonce, body, context.encode())
        except InvalidTag:
            raise VaultError("a sealed value does not open: wrong key, wrong record or tampered") from None

    def seal_json(self, value: object, context: str) -> bytes:
        return self.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), context)

    def open_json(self, blob: bytes, context: str) -> object:
        return json.loads(self.open(blob, context))

    def index(self, purpose: str, value: object) -> str:
        """A keyed hash of `value` for lookups; stable across vault key rotation."""
        return hmac.new(self.index_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    # -- sealing to the offline disclosure key ----------------------------------------------------

    def seal_identity(self, identity: Mapping[str, object]) -> bytes:
        ephemeral = X25519PrivateKey.generate()
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(self.disclosure_public))
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(shared)
        nonce = secrets.token_bytes(NONCE)
        public = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        plaintext = json.dumps(identity, ensure_ascii=False, separators=(",", ":")).encode()
        return _IDENTITY + public + nonce + AESGCM(key).encrypt(nonce, plaintext, _IDENTITY + public)


def key_id_of(blob: bytes) -> str:
    if len(blob) < 3 or blob[:2] != _SEALED:
        raise VaultError("not a vault-sealed value")
    return blob[3:3 + blob[2]].decode("ascii")


def open_identity(blob: bytes, private: bytes) -> dict[str, object]:
    """Open an identity record with the disclosure private key (offline, by `aduan vault disclose`)."""
    if blob[:2] != _IDENTITY or len(blob) < 2 + 32 + NONCE + 16:
        raise VaultError("not a sealed identity record")
    public, nonce, body = blob[2:34], blob[34:34 + NONCE], blob[34 + NONCE:]
    shared = X25519PrivateKey.from_private_bytes(private).exchange(X25519PublicKey.from_public_bytes(public))
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(shared)
    try:
        return dict(json.loads(AESGCM(key).decrypt(nonce, body, _IDENTITY + public)))
    except InvalidTag:
        raise VaultError("the identity record does not open with this key") from None


def public_of(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# -- the key file ---------------------------------------------------------------------------------------


def load(path: Path) -> Vault:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        keys = {kid: _unb64(value) for kid, value in raw["keys"].items()}
        vault = Vault(keys, raw["current"], _unb64(raw["index"]), _unb64(raw["disclosure_public"]))
    except FileNotFoundError:
        raise VaultError(f"no vault key file at {path} (create it with `aduan keys init`)") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise VaultError(f"the vault key file {path} is damaged ({type(exc).__name__})") from None
    if vault.current not in vault.keys or any(len(k) != 32 for k in vault.keys.values()):
        raise VaultError(f"the vault key file {path} is damaged (keys)")
    return vault


def save(vault: Vault, path: Path) -> None:
    """Write the key file readable by its owner only (atomically: a crash leaves the old one)."""
    data = {"current": vault.current, "keys": {kid: _b64(k) for kid, k in vault.keys.items()},
            "index": _b64(vault.index_key), "disclosure_public": _b64(vault.disclosure_public)}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(temporary, path)


def create(shares: int = 1, threshold: int = 1) -> tuple[Vault, list[str]]:
    """A new vault (first key "k1", an index key, a disclosure key pair) and the private half as
    texts to hand out: one private key, or `shares` shares of which `threshold` open it."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    vault = Vault({"k1": secrets.token_bytes(32)}, "k1", secrets.token_bytes(32), public_of(raw_private))
    return vault, private_texts(raw_private, shares, threshold)


def private_texts(private: bytes, shares: int, threshold: int) -> list[str]:
    if shares <= 1:
        return [f"{PRIVATE_HEADER}\n{private.hex()}\n"]
    if not 2 <= threshold <= shares <= 255:
        raise VaultError("need 2 <= threshold <= shares <= 255")
    return [f"{SHARE_HEADER} {n} of {shares}, {threshold} needed\n{bytes(part).hex()}\n"
            for n, part in enumerate(split(private, shares, threshold), start=1)]  # fmt: skip


def private_from(texts: list[str], vault: Vault) -> bytes:
    """The disclosure private key from its file, or from enough shares; checked against the vault."""
    parts = []
    for text in texts:
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        if len(lines) != 2 or not (lines[0].startswith(SHARE_HEADER) or lines[0] == PRIVATE_HEADER):
            raise VaultError("not a disclosure key or share file")
        try:
            parts.append((lines[0], bytes.fromhex(lines[1])))
        except ValueError:
            raise VaultError("a key or share file is damaged") from None
    if len(parts) == 1 and parts[0][0] == PRIVATE_HEADER:
        private = parts[0][1]
    else:
        if any(header == PRIVATE_HEADER for header, _ in parts):
            raise VaultError("give either the private key or shares, not both")
        try:
            private = bytes(combine([bytearray(p) for _, p in parts]))
        except ValueError as exc:
            raise VaultError(f"these shares do not combine ({exc})") from None
    if len(private) != 32 or not hmac.compare_digest(public_of(private), vault.disclosure_public):
        raise VaultError("this key (or these shares) does not open this vault: too few shares or the wrong ones")
    return private


def rotate(vault: Vault) -> str:
    """Add a new current key; the caller re-encrypts every sealed value, then `retire` the old ones."""
    number = max(int(kid[1:]) for kid in vault.keys if kid[1:].isdigit()) + 1
    kid = f"k{number}"
    vault.keys[kid] = secrets.token_bytes(32)
    vault.current = kid
    return kid


def retire(vault: Vault, keep: str) -> None:
    vault.keys = {keep: vault.keys[keep]}
