"""Kanal Aduan delivery side: settings, CLI, Telegram runtime, intake, dispatcher."""
