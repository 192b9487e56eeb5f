"""The stylist questionnaire: its fields, their checks and the words for them in English and Russian.

One form serves every connector: the widget shows it inline, Telegram and VK link to it. The
action :func:`chat.actions.do_submit_questionnaire` validates with it, so no path skips a check.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from chat.texts import language_of

# Words for people, per language. Keys are the stored answer keys (and option values).
LABELS: dict[str, dict[str, str]] = {
    "height_cm": {"en": "Height, cm", "ru": "Рост, см"},
    "size_top": {"en": "Top size (e.g. M or 46)", "ru": "Размер верха (например, M или 46)"},
    "size_bottom": {"en": "Bottom size (e.g. S or 44)", "ru": "Размер низа (например, S или 44)"},
    "size_shoes": {"en": "Shoe size (EU)", "ru": "Размер обуви (EU)"},
    "body_shape": {"en": "Body shape (optional)", "ru": "Тип фигуры (необязательно)"},
    "styles": {"en": "Styles you like", "ru": "Любимые стили"},
    "colours": {"en": "Colours you like", "ru": "Любимые цвета"},
    "occasion": {"en": "Occasion", "ru": "Повод"},
    "budget_from": {"en": "Budget from, ₽", "ru": "Бюджет от, ₽"},
    "budget_to": {"en": "Budget up to, ₽", "ru": "Бюджет до, ₽"},
    "photo": {"en": "Photo (optional, JPEG, PNG or WebP)", "ru": "Фото (необязательно, JPEG, PNG или WebP)"},
    "notes": {"en": "Anything else the stylist should know", "ru": "Что ещё важно знать стилисту"},
}

BODY_SHAPES: dict[str, dict[str, str]] = {
    "hourglass": {"en": "Hourglass", "ru": "Песочные часы"},
    "pear": {"en": "Pear", "ru": "Груша"},
    "apple": {"en": "Apple", "ru": "Яблоко"},
    "rectangle": {"en": "Rectangle", "ru": "Прямоугольник"},
    "inverted_triangle": {"en": "Inverted triangle", "ru": "Перевёрнутый треугольник"},
}

STYLES: dict[str, dict[str, str]] = {
    "classic": {"en": "Classic", "ru": "Классика"},
    "casual": {"en": "Casual", "ru": "Повседневный"},
    "business": {"en": "Business", "ru": "Деловой"},
    "romantic": {"en": "Romantic", "ru": "Романтичный"},
    "sporty": {"en": "Sporty", "ru": "Спортивный"},
    "boho": {"en": "Boho", "ru": "Бохо"},
    "minimal": {"en": "Minimal", "ru": "Минимализм"},
}

OCCASIONS: dict[str, dict[str, str]] = {
    "everyday": {"en": "Everyday", "ru": "На каждый день"},
    "work": {"en": "Work", "ru": "Работа"},
    "evening": {"en": "Evening out", "ru": "Вечерний выход"},
    "holiday": {"en": "Holiday", "ru": "Отпуск"},
    "special": {"en": "Special event (wedding, party)", "ru": "Особый случай (свадьба, праздник)"},
}

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"en": "Please fill in this field.", "ru": "Заполните это поле."},
    "number": {"en": "Enter a whole number.", "ru": "Введите целое число."},
    "height_range": {"en": "Enter your height in cm, from 100 to 230.", "ru": "Укажите рост в см, от 100 до 230."},
    "shoes_range": {
        "en": "Enter an EU shoe size from 30 to 50 (halves allowed, e.g. 38.5).",
        "ru": "Укажите размер обуви EU от 30 до 50 (можно с половиной, например 38,5).",
    },
    "size_long": {"en": "Keep the size under 20 characters.", "ru": "Размер: не больше 20 символов."},
    "choice": {"en": "Choose one of the options.", "ru": "Выберите один из вариантов."},
    "styles_required": {"en": "Choose at least one style.", "ru": "Выберите хотя бы один стиль."},
    "colours_long": {"en": "Keep the colours under 200 characters.", "ru": "Цвета: не больше 200 символов."},
    "budget_range": {
        "en": "Enter an amount from 0 to 10,000,000 ₽.",
        "ru": "Укажите сумму от 0 до 10 000 000 ₽.",
    },
    "budget_order": {
        "en": "The upper budget must not be below the lower one.",
        "ru": "Верхняя граница бюджета не может быть меньше нижней.",
    },
    "notes_long": {"en": "Keep the text under 2,000 characters.", "ru": "Текст: не больше 2 000 символов."},
    "photo_type": {
        "en": "The photo must be a JPEG, PNG or WebP image.",
        "ru": "Фото должно быть в формате JPEG, PNG или WebP.",
    },
    "photo_size": {
        "en": "The photo is larger than {mb} MB.",
        "ru": "Фото больше {mb} МБ.",
    },
    "nul": {"en": "The text contains a character that is not allowed.", "ru": "В тексте недопустимый символ."},
}

# What a photo's first bytes look like; the name and the browser's content type can't be trusted.
IMAGE_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
)


def label(key: str, language: str) -> str:
    return LABELS[key][language_of(language)]


def message(key: str, language: str, **values: Any) -> str:
    return MESSAGES[key][language_of(language)].format(**values)


def _options(options: dict[str, dict[str, str]], language: str) -> list[tuple[str, str]]:
    return [(value, names[language_of(language)]) for value, names in options.items()]


def sniff_image(photo: UploadedFile) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG or WebP by its first bytes; None for anything else."""
    photo.seek(0)
    head = photo.read(16)
    photo.seek(0)
    for signature, offset, content_type, extension in IMAGE_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type, extension
    return None


class QuestionnaireForm(forms.Form):
    """The questionnaire in one language; labels and every error message follow ``language``."""

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = lang = language_of(language)
        required = {"required": message("required", lang)}
        self.fields["height_cm"] = forms.IntegerField(
            min_value=100,
            max_value=230,
            error_messages={
                **required,
                "invalid": message("height_range", lang),
                "min_value": message("height_range", lang),
                "max_value": message("height_range", lang),
            },
        )
        for key in ("size_top", "size_bottom"):
            self.fields[key] = forms.CharField(
                max_length=20, error_messages={**required, "max_length": message("size_long", lang)}
            )
        self.fields["size_shoes"] = forms.DecimalField(
            min_value=Decimal(30),
            max_value=Decimal(50),
            max_digits=3,
            decimal_places=1,
            localize=True,
            error_messages={
                **required,
                **{
                    k: message("shoes_range", lang)
                    for k in ("invalid", "min_value", "max_value", "max_digits", "max_decimal_places")
                },
            },
        )
        self.fields["body_shape"] = forms.ChoiceField(
            required=False,
            choices=[("", "—"), *_options(BODY_SHAPES, lang)],
            error_messages={"invalid_choice": message("choice", lang)},
        )
        self.fields["styles"] = forms.MultipleChoiceField(
            choices=_options(STYLES, lang),
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "required": message("styles_required", lang),
                "invalid_choice": message("choice", lang),
                "invalid_list": message("choice", lang),
            },
        )
        self.fields["colours"] = forms.CharField(
            max_length=200, error_messages={**required, "max_length": message("colours_long", lang)}
        )
        self.fields["occasion"] = forms.ChoiceField(
            choices=[("", "—"), *_options(OCCASIONS, lang)],
            error_messages={**required, "invalid_choice": message("choice", lang)},
        )
        budget_errors = {k: message("budget_range", lang) for k in ("invalid", "min_value", "max_value")}
        self.fields["budget_from"] = forms.IntegerField(
            required=False, min_value=0, max_value=10_000_000, error_messages=budget_errors
        )
        self.fields["budget_to"] = forms.IntegerField(
            min_value=0, max_value=10_000_000, error_messages={**required, **budget_errors}
        )
        self.fields["photo"] = forms.FileField(
            required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        self.fields["notes"] = forms.CharField(
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 4}),
            error_messages={"max_length": message("notes_long", lang)},
        )
        for key, field in self.fields.items():
            field.label = label(key, lang)
        self.fields["size_shoes"].widget.attrs.update({"inputmode": "decimal", "step": "0.5"})
        for key in ("height_cm", "budget_from", "budget_to"):
            self.fields[key].widget.attrs["inputmode"] = "numeric"

    def _clean_text(self, key: str) -> str:
        value: str = self.cleaned_data.get(key, "")
        if "\x00" in value:
            raise forms.ValidationError(message("nul", self.language))
        return value

    def clean_size_top(self) -> str:
        return self._clean_text("size_top")

    def clean_size_bottom(self) -> str:
        return self._clean_text("size_bottom")

    def clean_colours(self) -> str:
        return self._clean_text("colours")

    def clean_notes(self) -> str:
        return self._clean_text("notes")

    def clean_photo(self) -> UploadedFile | None:
        photo: UploadedFile | None = self.cleaned_data.get("photo")
        if not photo:
            return None
        limit = settings.SWITCHBOARD_QUESTIONNAIRE_PHOTO_MAX_BYTES
        if photo.size is not None and photo.size > limit:
            raise forms.ValidationError(message("photo_size", self.language, mb=f"{limit / 1_000_000:g}"))
        if sniff_image(photo) is None:
            raise forms.ValidationError(message("photo_type", self.language))
        return photo

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("budget_from"), data.get("budget_to")
        if low is not None and high is not None and high < low:
            self.add_error("budget_to", message("budget_order", self.language))
        return data

    def answers(self) -> dict[str, Any]:
        """The stored answers: JSON-safe, keyed as in :data:`LABELS`, photo kept apart."""
        data = self.cleaned_data
        return {
            "height_cm": data["height_cm"],
            "size_top": data["size_top"],
            "size_bottom": data["size_bottom"],
            "size_shoes": format(data["size_shoes"].normalize(), "f"),
            "body_shape": data["body_shape"],
            "styles": list(data["styles"]),
            "colours": data["colours"],
            "occasion": data["occasion"],
            "budget_from": data["budget_from"] if data["budget_from"] is not None else 0,
            "budget_to": data["budget_to"],
            "notes": data["notes"],
        }


def answer_rows(answers: dict[str, Any], language: str = "en") -> list[dict[str, str]]:
    """The answers as labelled rows in the operator's language, for the customer panel."""
    lang = language_of(language)

    def named(options: dict[str, dict[str, str]], value: str) -> str:
        return options.get(value, {}).get(lang, value)

    rows: list[dict[str, str]] = []
    for key in LABELS:
        if key in ("photo", "budget_from", "budget_to") or key not in answers:
            continue
        value = answers[key]
        if key == "body_shape":
            text = named(BODY_SHAPES, value) if value else ""
        elif key == "styles":
            text = ", ".join(named(STYLES, v) for v in value)
        elif key == "occasion":
            text = named(OCCASIONS, value)
        else:
            text = str(value)
        if text:
            rows.append({"key": key, "label": LABELS[key][lang].split(" (")[0], "value": text})
    if "budget_to" in answers:
        budget = {"en": "Budget, ₽", "ru": "Бюджет, ₽"}[lang]
        rows.append(
            {"key": "budget", "label": budget, "value": f"{answers.get('budget_from', 0)}–{answers['budget_to']}"}
        )
    return rows
