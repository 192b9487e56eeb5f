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
from django.utils.translation import gettext_noop

from chat.texts import in_language, language_of

# Words for people (gettext messages, Russian in the catalogue). Keys are the stored answer keys
# (and option values).
LABELS: dict[str, str] = {
    "height_cm": gettext_noop("Height, cm"),
    "size_top": gettext_noop("Top size (e.g. M or 46)"),
    "size_bottom": gettext_noop("Bottom size (e.g. S or 44)"),
    "size_shoes": gettext_noop("Shoe size (EU)"),
    "body_shape": gettext_noop("Body shape (optional)"),
    "styles": gettext_noop("Styles you like"),
    "colours": gettext_noop("Colours you like"),
    "occasion": gettext_noop("Occasion"),
    "budget_from": gettext_noop("Budget from, ₽"),
    "budget_to": gettext_noop("Budget up to, ₽"),
    "photo": gettext_noop("Photo (optional, JPEG, PNG or WebP)"),
    "notes": gettext_noop("Anything else the stylist should know"),
}

BODY_SHAPES: dict[str, str] = {
    "hourglass": gettext_noop("Hourglass"),
    "pear": gettext_noop("Pear"),
    "apple": gettext_noop("Apple"),
    "rectangle": gettext_noop("Rectangle"),
    "inverted_triangle": gettext_noop("Inverted triangle"),
}

STYLES: dict[str, str] = {
    "classic": gettext_noop("Classic"),
    "casual": gettext_noop("Casual"),
    "business": gettext_noop("Business"),
    "romantic": gettext_noop("Romantic"),
    "sporty": gettext_noop("Sporty"),
    "boho": gettext_noop("Boho"),
    "minimal": gettext_noop("Minimal"),
}

OCCASIONS: dict[str, str] = {
    "everyday": gettext_noop("Everyday"),
    "work": gettext_noop("Work"),
    "evening": gettext_noop("Evening out"),
    "holiday": gettext_noop("Holiday"),
    "special": gettext_noop("Special event (wedding, party)"),
}

MESSAGES: dict[str, str] = {
    "required": gettext_noop("Please fill in this field."),
    "number": gettext_noop("Enter a whole number."),
    "height_range": gettext_noop("Enter your height in cm, from 100 to 230."),
    "shoes_range": gettext_noop("Enter an EU shoe size from 30 to 50 (halves allowed, e.g. 38.5)."),
    "size_long": gettext_noop("Keep the size under 20 characters."),
    "choice": gettext_noop("Choose one of the options."),
    "styles_required": gettext_noop("Choose at least one style."),
    "colours_long": gettext_noop("Keep the colours under 200 characters."),
    "budget_range": gettext_noop("Enter an amount from 0 to 10,000,000 ₽."),
    "budget_order": gettext_noop("The upper budget must not be below the lower one."),
    "notes_long": gettext_noop("Keep the text under 2,000 characters."),
    "photo_type": gettext_noop("The photo must be a JPEG, PNG or WebP image."),
    "photo_size": gettext_noop("The photo is larger than {mb} MB."),
    "nul": gettext_noop("The text contains a character that is not allowed."),
}

BUDGET = gettext_noop("Budget, ₽")

# What a photo's first bytes look like; the name and the browser's content type can't be trusted.
IMAGE_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
)


def label(key: str, language: str) -> str:
    return in_language(LABELS[key], language)


def message(key: str, language: str, **values: Any) -> str:
    return in_language(MESSAGES[key], language, **values)


def _options(options: dict[str, str], language: str) -> list[tuple[str, str]]:
    return [(value, in_language(name, language)) for value, name in options.items()]


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

    def named(options: dict[str, str], value: str) -> str:
        return in_language(options[value], lang) if value in options else value

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
            rows.append({"key": key, "label": label(key, lang).split(" (")[0], "value": text})
    if "budget_to" in answers:
        budget = in_language(BUDGET, lang)
        rows.append(
            {"key": "budget", "label": budget, "value": f"{answers.get('budget_from', 0)}–{answers['budget_to']}"}
        )
    return rows
