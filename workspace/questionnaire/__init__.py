"""The signed stylist questionnaire form: opened from Telegram, VK or inline in the widget."""
