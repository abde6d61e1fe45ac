"""The media an interaction can arrive on. Adding one (SMS) is one new member here."""

from __future__ import annotations

from enum import StrEnum


class Medium(StrEnum):
    VOICE = "voice"
    CALLBACK = "callback"
    EMAIL = "email"
    CHAT = "chat"
