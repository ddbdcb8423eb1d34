"""The second baseline: the same 13-step /lapor form written the way a python-telegram-bot user
would — its `Application`, a `ConversationHandler` and `PicklePersistence` on disk (after PTB's
own conversationbot example). It keeps none of our guarantees: no inbox (an update in hand when
the process dies is lost), no outbox (a reply that fails is gone), persistence flushed on its
interval rather than per update, no per-chat rate limits, no audit.

Run by `bench.form_throughput --ptb-form`; answers `typed_answers(n)` of tests/e2e/chat.py and
the *Kirim laporan* button.
"""

import os
import sys
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)

# (what the step stores, the question that follows it); the first is asked by /lapor.
STEPS = (
    ("kind", "Langkah 2 dari 11: kategori?"),
    ("category", "Langkah 3 dari 11: instansi tujuan?"),
    ("agency", "Langkah 4 dari 11: judul laporan?"),
    ("title", "Langkah 5 dari 11: uraian kejadian?"),
    ("description", "Langkah 6 dari 11: kapan terjadi?"),
    ("when", "Langkah 7 dari 11: kecamatan?"),
    ("kecamatan", "Langkah 8 dari 11: alamat?"),
    ("address", "Langkah 9 dari 11: foto (atau Lewati)?"),
    ("photos", "Langkah 10 dari 11: kerahasiaan?"),
    ("privacy", "Langkah 11 dari 11: nomor telepon (atau Lewati)?"),
)
PHONE, SUMMARY = len(STEPS), len(STEPS) + 1


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.clear()  # type: ignore[union-attr]
    await update.effective_message.reply_text("Langkah 1 dari 11: jenis laporan?")  # type: ignore[union-attr]
    return 0


def step(index: int):  # type: ignore[no-untyped-def]
    field, question = STEPS[index]

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        text = (update.effective_message.text or "")[:4000]  # type: ignore[union-attr]
        if field == "description" and len(text) < 20:
            await update.effective_message.reply_text("Uraian terlalu pendek.")  # type: ignore[union-attr]
            return index
        context.user_data[field] = text  # type: ignore[index]
        await update.effective_message.reply_text(question)  # type: ignore[union-attr]
        return index + 1

    return answer


async def phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["phone"] = update.effective_message.text  # type: ignore[index, union-attr]
    data = context.user_data or {}
    summary = "Periksa sekali lagi:\n" + "\n".join(f"{k}: {v}" for k, v in data.items())
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Kirim laporan", callback_data="submit")]])
    await update.effective_message.reply_text(summary[:4000], reply_markup=keyboard)  # type: ignore[union-attr]
    return SUMMARY


async def submit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    number = context.bot_data.get("tickets", 0) + 1
    context.bot_data["tickets"] = number
    context.bot_data.setdefault("complaints", []).append(dict(context.user_data or {}))
    await query.edit_message_text(f"Terima kasih. Nomor tiket Anda KKR-2026-{number:06d}.")
    return ConversationHandler.END


def main() -> None:
    root = os.environ["TELEGRAM_API_BASE_URL"]
    persistence = PicklePersistence(filepath=Path(sys.argv[1] if len(sys.argv) > 1 else "ptb_form.pickle"))
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .persistence(persistence)
        .build()
    )
    text = filters.TEXT & ~filters.COMMAND
    states = {index: [MessageHandler(text, step(index))] for index in range(len(STEPS))}
    states[PHONE] = [MessageHandler(text, phone)]
    states[SUMMARY] = [CallbackQueryHandler(submit, pattern="^submit$")]
    application.add_handler(ConversationHandler(
        entry_points=[CommandHandler("lapor", start)], states=states, fallbacks=[CommandHandler("lapor", start)],
        name="lapor", persistent=True,
    ))  # fmt: skip
    application.run_polling(poll_interval=0.0, timeout=1)


if __name__ == "__main__":
    main()
