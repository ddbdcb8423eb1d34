"""The bot's own settings and lookups: identity, webhook, commands, menu button, files, chats."""

from __future__ import annotations

import re
from typing import Any

from tests.emulator.errors import bad_request
from tests.emulator.methods.common import writable_chat
from tests.emulator.methods.registry import Call, implements
from tests.emulator.state import DEFAULT_ALLOWED_UPDATES, commands_key

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_WEBHOOK_PORTS = (443, 80, 88, 8443)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@implements("getMe")
def get_me(call: Call) -> dict[str, Any]:
    return {
        **call.state.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not call.state.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@implements("logOut", "close")
def log_out(call: Call) -> bool:
    return True


@implements("setWebhook")
def set_webhook(call: Call) -> bool:
    url = call.get("url", "")
    if url:
        scheme, _, rest = url.partition("://")
        if scheme.lower() != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        host = rest.split("/", 1)[0]
        port = (
            int(host.rsplit(":", 1)[1]) if ":" in host and host.rsplit(":", 1)[1].isdigit() else 443
        )
        if port not in _WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
    secret = call.get("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")  # the emulator's wording
    if call.get("drop_pending_updates"):
        call.state.clear_updates()
    if "allowed_updates" in call.params:
        call.state.allowed_updates = (
            frozenset(call.params["allowed_updates"]) or DEFAULT_ALLOWED_UPDATES
        )
    max_connections = call.get("max_connections", 40)
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")  # the emulator's wording
    # A new dict per call: delivery starts afresh (tests/emulator/webhook.py).
    call.state.webhook = (
        {"url": url, "max_connections": max_connections, "secret_token": secret} if url else None
    )
    return True


@implements("deleteWebhook")
def delete_webhook(call: Call) -> bool:
    if call.get("drop_pending_updates"):
        call.state.clear_updates()
    call.state.webhook = None
    return True


@implements("getWebhookInfo")
def get_webhook_info(call: Call) -> dict[str, Any]:
    return webhook_info(call.state)


def webhook_info(state: Any) -> dict[str, Any]:
    webhook = state.webhook or {}
    info: dict[str, Any] = {
        "url": webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if webhook:
        info["max_connections"] = webhook["max_connections"]
        info["allowed_updates"] = sorted(state.allowed_updates)
        for key in ("last_error_date", "last_error_message"):
            if key in webhook:
                info[key] = webhook[key]
    return info


@implements("getFile")
def get_file(call: Call) -> dict[str, Any]:
    stored = call.state.files.get(call.get("file_id", "").strip())
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return stored.file()


# --- commands and menu --------------------------------------------------------------------------


def _commands_key(call: Call) -> tuple[str, str]:
    scope = call.get("scope") or {"type": "default"}
    if "chat_id" in scope and scope["chat_id"] not in call.state.chats:
        raise bad_request("chat not found")
    language = call.get("language_code", "")
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")  # the emulator's wording
    return commands_key(scope, language)


@implements("setMyCommands")
def set_my_commands(call: Call) -> bool:
    commands = call.get("commands")
    if len(commands) > 100:
        raise bad_request("too many commands specified")  # the emulator's wording
    for command in commands:
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"].strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _commands_key(call)
    if commands:
        call.state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
    else:
        call.state.commands.pop(key, None)
    return True


@implements("getMyCommands")
def get_my_commands(call: Call) -> list[dict[str, Any]]:
    return list(call.state.commands.get(_commands_key(call), []))


@implements("deleteMyCommands")
def delete_my_commands(call: Call) -> bool:
    call.state.commands.pop(_commands_key(call), None)
    return True


@implements("setChatMenuButton")
def set_chat_menu_button(call: Call) -> bool:
    chat_id = call.get("chat_id")
    if chat_id is not None:
        writable_chat(call.state, chat_id)
    call.state.menu_buttons[chat_id] = call.get("menu_button") or {"type": "default"}
    return True


@implements("getChatMenuButton")
def get_chat_menu_button(call: Call) -> dict[str, Any]:
    buttons = call.state.menu_buttons
    return buttons.get(call.get("chat_id"), buttons.get(None, {"type": "commands"}))


# --- chats --------------------------------------------------------------------------------------


@implements("getChat")
def get_chat(call: Call) -> dict[str, Any]:
    chat = call.state.chats.get(call.get("chat_id"))
    if chat is None:
        raise bad_request("chat not found")
    return {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@implements("getChatMember")
def get_chat_member(call: Call) -> dict[str, Any]:
    chat = call.state.chats.get(call.get("chat_id"))
    if chat is None:
        raise bad_request("chat not found")
    user_id = call.get("user_id")
    user = call.state.bot if user_id == call.state.bot.id else call.state.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    in_chat = (
        user_id in chat.members
        or user_id == chat.id
        or (user is call.state.bot and chat.bot_is_member)
    )
    return {"status": "member" if in_chat else "left", "user": user.to_api()}
