"""The follow-up token and the vault's cryptography."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import pytest

from cases import tokens
from storage import vault as vaults
from storage.vault import VaultError


def test_a_token_reads_in_groups_and_carries_at_least_100_secret_bits() -> None:
    token = tokens.new_token()
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}", str(token))
    assert tokens.SECRET_CHARS * math.log2(len(tokens.ALPHABET)) >= 100
    assert len(set(tokens.ALPHABET)) == 32


def test_tokens_are_random_in_every_position() -> None:
    many = [str(tokens.new_token()).replace("-", "") for _ in range(2000)]
    assert len(set(many)) == len(many)
    for position in (0, 7, 8, 27):
        counts = Counter(t[position] for t in many)
        assert len(counts) == 32 and max(counts.values()) < 2000 / 32 * 2  # no character twice as likely


def test_typed_tokens_are_forgiving_and_anything_else_is_not_a_token() -> None:
    token = tokens.new_token()
    typed = str(token).lower().replace("-", " ")
    assert tokens.parse(typed) == token
    assert tokens.parse(str(token).replace("1", "I").replace("0", "O")) == token
    assert tokens.parse(str(token)[:-1]) is None
    assert tokens.parse(str(token) + "A") is None
    assert tokens.parse("U" * 28) is None  # U is not in Crockford's alphabet
    assert tokens.contains(f"my answer {str(token).lower()} thanks", token)
    assert not tokens.contains("nothing here", token)


def test_only_a_salted_hash_is_kept_and_it_checks_in_constant_time() -> None:
    token = tokens.new_token()
    kept, again = tokens.store(token), tokens.store(token)
    assert kept.salt != again.salt and kept.digest != again.digest, "a per-record salt"
    assert token.secret.encode() not in kept.digest and tokens.matches(token, kept)
    wrong = tokens.Token(token.lookup, ("0" if token.secret[0] != "0" else "1") + token.secret[1:])
    assert not tokens.matches(wrong, kept)


def test_sealed_values_open_only_with_their_key_and_context(tmp_path: Path) -> None:
    vault, _ = vaults.create()
    blob = vault.seal_json({"description": "pungli di kantor"}, "report:1")
    assert b"pungli" not in blob
    assert vault.open_json(blob, "report:1") == {"description": "pungli di kantor"}
    with pytest.raises(VaultError):
        vault.open(blob, "report:2")  # moved to another record
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(VaultError):
        vault.open(tampered, "report:1")
    other, _ = vaults.create()
    with pytest.raises(VaultError):
        other.open(blob, "report:1")


def test_rotation_keeps_old_values_readable_until_they_are_sealed_again(tmp_path: Path) -> None:
    path = tmp_path / "vault.json"
    vault, _ = vaults.create()
    vaults.save(vault, path)
    assert path.stat().st_mode & 0o777 == 0o600
    old = vault.seal(b"lama", "x")
    new_id = vaults.rotate(vault)
    assert vaults.key_id_of(vault.seal(b"baru", "x")) == new_id != vaults.key_id_of(old)
    assert vault.open(old, "x") == b"lama"
    resealed = vault.seal(vault.open(old, "x"), "x")
    vaults.retire(vault, new_id)
    vaults.save(vault, path)
    reloaded = vaults.load(path)
    assert reloaded.open(resealed, "x") == b"lama"
    with pytest.raises(VaultError, match="not in the key file"):
        reloaded.open(old, "x")
    assert reloaded.index("sender", 42) == vault.index("sender", 42), "lookups survive rotation"


def test_an_identity_opens_only_with_the_private_key_or_enough_shares() -> None:
    vault, private = vaults.create()
    blob = vault.seal_identity({"user_id": 987654321, "username": "saksi_rahasia"})
    assert b"987654321" not in blob and b"saksi" not in blob
    key = vaults.private_from(private, vault)
    assert vaults.open_identity(blob, key) == {"user_id": 987654321, "username": "saksi_rahasia"}
    stranger, stranger_private = vaults.create()
    with pytest.raises(VaultError):
        vaults.private_from(stranger_private, vault)
    with pytest.raises(VaultError):
        vaults.open_identity(blob, vaults.private_from(stranger_private, stranger))

    shared, shares = vaults.create(shares=5, threshold=3)
    sealed = shared.seal_identity({"user_id": 1})
    assert len(shares) == 5
    for chosen in (shares[:3], shares[2:], [shares[0], shares[2], shares[4]]):
        assert vaults.open_identity(sealed, vaults.private_from(chosen, shared)) == {"user_id": 1}
    with pytest.raises(VaultError):
        vaults.private_from(shares[:2], shared)  # two of three: nothing


def test_a_damaged_or_missing_key_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="keys init"):
        vaults.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(VaultError, match="damaged"):
        vaults.load(tmp_path / "bad.json")


def test_pictures_lose_every_hidden_detail_but_keep_their_look() -> None:
    import io

    from PIL import Image, PngImagePlugin

    from bot.files import strip_metadata

    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"
    exif[0x0112] = 6  # orientation: rotate 90° to display
    exif[0x8825] = {1: "S", 2: (0.0, 25.0, 19.0), 3: "E", 4: (116.0, 59.0, 7.0)}
    source = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 128, 255)).save(source, "JPEG", exif=exif.tobytes(), comment=b"ditulis oleh Budi")
    cleaned, mime = strip_metadata(source.getvalue()) or (b"", "")
    assert mime == "image/jpeg"
    out = Image.open(io.BytesIO(cleaned))
    assert not out.getexif() and b"KameraRahasia" not in cleaned and b"Budi" not in cleaned
    assert out.size == (20, 40), "the orientation was applied before the tag went"

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Siti Pelapor")
    png = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(png, "PNG", pnginfo=info)
    cleaned_png, mime_png = strip_metadata(png.getvalue()) or (b"", "")
    assert mime_png == "image/png" and b"Siti Pelapor" not in cleaned_png
    assert strip_metadata(b"%PDF-1.4 not a picture") is None
