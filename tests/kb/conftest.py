from __future__ import annotations

import pytest

from kb.demo import load_kb_demo


@pytest.fixture
def corpus(db: None) -> None:
    """The demo shop's thirteen articles in English and Russian, through the real actions."""
    load_kb_demo()
