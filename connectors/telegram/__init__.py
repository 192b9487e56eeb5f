"""Telegram: webhook or long polling in, python-telegram-bot's ``Bot`` out."""
