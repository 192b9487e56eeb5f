"""Local stand-ins for the Telegram Bot API and the VK API, for the real client libraries to call."""
