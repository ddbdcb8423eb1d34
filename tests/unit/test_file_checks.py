"""What a downloaded file really is (bot.files.sniff / fits): the bytes, not the claim."""

from __future__ import annotations

import io

from PIL import Image

from bot.files import fits, sniff

OGG = b"OggS\x00\x02" + bytes(64)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG")
    return out.getvalue()


def test_sound_and_video_containers_are_recognised() -> None:
    assert sniff(OGG) == "audio/ogg"
    assert sniff(MP4) == "video/mp4"
    assert fits("voice", "audio/ogg", sniff(OGG))
    assert fits("video_note", None, sniff(MP4)) and fits("audio", "audio/mp4", sniff(MP4))


def test_a_file_that_is_not_what_it_claims_does_not_fit() -> None:
    program = b"MZ\x90\x00 this is a program"
    assert sniff(program) is None
    assert not fits("document", "application/pdf", sniff(program))
    assert not fits("voice", "audio/ogg", sniff(png())), "a picture is not a voice note"
    assert not fits("photo", "image/jpeg", sniff(OGG)), "a recording is not a photo"
    assert not fits("document", "application/pdf", sniff(png())), "a picture is not the PDF it claims"


def test_honest_files_fit() -> None:
    assert fits("document", "application/pdf", sniff(PDF))
    assert fits("photo", "image/jpeg", sniff(png())), "a photo's bytes may be any picture format"
    assert fits("document", "image/png", sniff(png()))
