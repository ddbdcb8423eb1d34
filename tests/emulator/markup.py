"""`reply_markup` as the Bot API server checks it, with its wording.

Keyboards are where bots most often send something Telegram refuses: callback data over 64
bytes (an id plus a long label), a button with no action, a keyboard that is not an array of
arrays. One bad button fails the whole sendMessage, so the emulator checks all of them.
"""

from __future__ import annotations

from typing import Any

from tests.emulator.errors import bad_request

CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
MAX_BUTTONS = 100
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_STRING_FIELDS = (
    "text",
    "url",
    "callback_data",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "icon_custom_emoji_id",
    "style",
)
_OBJECT_FIELDS = (
    "web_app",
    "login_url",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
)
_STYLES = ("danger", "success", "primary")


def validate_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any]:
    """The markup, or ApiError 400 worded like Telegram's. Edits accept inline keyboards only."""
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
    elif "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise bad_request('field "remove_keyboard" of the ReplyKeyboardRemove must be True')
    elif "force_reply" in markup:
        if markup["force_reply"] is not True:
            raise bad_request('field "force_reply" of the ForceReply must be True')
    else:
        raise bad_request("object expected as reply markup")
    return markup


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    def refuse(reason: str) -> None:
        raise bad_request(f"can't parse inline keyboard button: {reason}")

    if not isinstance(button, dict):
        refuse("InlineKeyboardButton should be an Object")
    if "text" not in button:
        refuse('Can\'t find field "text"')
    for name in _STRING_FIELDS:
        if name in button and not isinstance(button[name], str):
            refuse(f'Field "{name}" must be of type String')
    for name in _OBJECT_FIELDS:
        if name in button and not isinstance(button[name], dict):
            refuse(f'Field "{name}" must be of type Object')
    if "style" in button and button["style"] not in _STYLES:
        refuse("invalid button style specified")
    # The Bot API reads an empty string as "not given": callback_data "" is a text-only button.
    # (The switch_inline_query fields may be empty: they then insert just the bot's username.)
    actions = [
        name
        for name in _INLINE_ACTIONS
        if name in button
        and (button[name] not in ("", None, False) or name.startswith("switch_inline_query"))
    ]
    if not actions:
        refuse("Text buttons are unallowed in the inline keyboard")
    if not button["text"]:
        raise bad_request("BUTTON_TEXT_INVALID")
    if (
        "callback_data" in actions
        and len(button["callback_data"].encode("utf-8")) > CALLBACK_DATA_LIMIT
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        _check_button_url(button["url"])


def _check_button_url(url: str) -> None:
    scheme, sep, rest = url.partition("://")
    if not sep:
        if "." in url.split("/")[0] and ":" not in url.split("/")[0]:
            return  # Telegram adds http:// to a bare host
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    if scheme.lower() not in ("http", "https", "tg"):
        raise bad_request(
            f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
        )
    if scheme.lower() != "tg" and (not rest or rest[0] in "/?#"):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > 300:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for row in rows:
        for button in row:
            if isinstance(button, str):
                continue
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse keyboard button: KeyboardButton should be a String or an Object"
                )
            if not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            for flag in ("request_contact", "request_location"):
                if flag in button and not isinstance(button[flag], bool):
                    raise bad_request(
                        f'can\'t parse keyboard button: Field "{flag}" must be of type Boolean'
                    )


def inline_buttons(markup: dict[str, Any] | None) -> list[list[tuple[str, str | None]]]:
    """Rows of (text, callback_data or None) of an inline keyboard, for tests to read and press."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(b.get("text", ""), b.get("callback_data") or None) for b in row]
        for row in markup["inline_keyboard"]
    ]
