"""The baseline: a bare python-telegram-bot echo bot (its stock Application and polling loop)."""

import os

from telegram import Update
from telegram.ext import Application, CallbackContext, MessageHandler, filters


async def echo(update: Update, context: CallbackContext) -> None:
    if update.effective_message is not None and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    root = os.environ["TELEGRAM_API_BASE_URL"]
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0.0, timeout=1)


if __name__ == "__main__":
    main()
