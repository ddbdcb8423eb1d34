"""bot.logs: the bot token never reaches a log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from bot.logs import RedactingFilter

TOKEN = "123456789:AAHk3x_Secret-Part-0123456789abcdefXYZ"
SECRET_PART = TOKEN.split(":", 1)[1]


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter([TOKEN]))
    logger = logging.getLogger("test.redaction")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.handlers.clear()


def _assert_clean(text: str) -> None:
    assert TOKEN not in text
    assert SECRET_PART not in text
    assert "<redacted>" in text


def test_message_args(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    logger.info("starting with token %s", TOKEN)
    _assert_clean(stream.getvalue())
    assert "starting with token" in stream.getvalue()


def test_dict_args(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    logger.info("config %(token)s", {"token": TOKEN})
    _assert_clean(stream.getvalue())


def test_f_string(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    logger.warning(f"token={TOKEN}!")
    _assert_clean(stream.getvalue())
    assert "token=<redacted>!" in stream.getvalue()


def test_httpx_style_url(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    logger.info('HTTP Request: %s %s "%s"', "POST", f"https://api.telegram.org/bot{TOKEN}/getUpdates", "HTTP/1.1 200 OK")
    out = stream.getvalue()
    _assert_clean(out)
    assert "https://api.telegram.org/bot<redacted>/getUpdates" in out


def test_other_tokens_in_urls_too(captured) -> None:  # type: ignore[no-untyped-def]
    # A token the filter was not told about (e.g. an old one in a library's URL) is still hidden.
    logger, stream = captured
    other = "555555:ZZZ_other-token_abcdefghijklmnop"
    logger.info("GET https://api.telegram.org/bot%s/getMe", other)
    assert other not in stream.getvalue()
    assert "ZZZ_other" not in stream.getvalue()


def test_exception_traceback(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    try:
        try:
            raise ConnectionError(f"GET https://api.telegram.org/bot{TOKEN}/getUpdates timed out")
        except ConnectionError as inner:
            raise RuntimeError(f"polling failed for {TOKEN}") from inner
    except RuntimeError:
        logger.exception("network trouble")
    out = stream.getvalue()
    _assert_clean(out)
    assert "Traceback" in out and "RuntimeError" in out and "ConnectionError" in out


def test_exc_info_tuple(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    try:
        raise ValueError(TOKEN)
    except ValueError as exc:
        logger.error("failed", exc_info=(type(exc), exc, exc.__traceback__))
    _assert_clean(stream.getvalue())


def test_record_passes_through_two_handlers(captured) -> None:  # type: ignore[no-untyped-def]
    logger, stream = captured
    second = io.StringIO()
    plain_handler = logging.StreamHandler(second)  # no filter of its own, after the redacting one
    logger.addHandler(plain_handler)
    try:
        raise KeyError(TOKEN)
    except KeyError:
        logger.exception("token %s", TOKEN)
    _assert_clean(stream.getvalue())
    _assert_clean(second.getvalue())


def test_empty_secrets_are_ignored() -> None:
    redacting = RedactingFilter(["", None])  # type: ignore[list-item]
    assert redacting.redact("nothing secret here") == "nothing secret here"


def test_configure_installs_the_filter_on_the_root_handler(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        logs.configure("INFO", [TOKEN])
        logging.getLogger("httpx").warning("HTTP Request: POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
        logging.getLogger("bot.app").info("token is %s", TOKEN)
        err = capsys.readouterr().err
        assert "sendMessage" in err and "token is" in err
        _assert_clean(err)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)


def test_url_encoded_token_in_a_file_download_url_is_redacted() -> None:
    import io
    import logging

    from bot.logs import RedactingFilter

    token = "100000001:TEST-offline-demo-token"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter([token]))
    logger = logging.getLogger("test.url_encoded")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.info('HTTP Request: GET http://127.0.0.1:1/file/bot100000001%3ATEST-offline-demo-token/photos/file_2.jpg "200"')
    output = stream.getvalue()
    assert "TEST-offline-demo-token" not in output and "photos/file_2.jpg" in output


def test_a_secret_known_later_is_redacted_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter([TOKEN]))
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [handler]
    try:
        logs.redact_also("generated-webhook-secret_0123")
        logging.getLogger("test.later").warning("secret is generated-webhook-secret_0123")
    finally:
        root.handlers[:] = saved
    assert "generated-webhook-secret_0123" not in stream.getvalue() and "<redacted>" in stream.getvalue()
