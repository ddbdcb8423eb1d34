"""Conversations: what the bot asks, validates and answers. No Telegram library, no network."""
