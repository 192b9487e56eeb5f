"""Shared fixtures. Data is set up through the real chat actions, on the real database."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator

import pytest

from chat.actions import InboundMessage, ReceivedMessage, do_receive_inbound
from chat.actions.setup import do_create_operator, do_ensure_queue, do_ensure_reason
from chat.models import Operator, Queue, Reason

_counter = itertools.count(1)

# Folders whose tests run real processes (daphne, Celery, redis-server, benchmarks on their own
# databases) or several processes against one database: `make test` runs them one at a time, after
# the rest has run on two workers (pytest-xdist).
SERIAL_FOLDERS = ("tests/faults/", "tests/bench/")


@pytest.hookimpl(tryfirst=True)  # before -m selects by markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.replace("\\", "/")
        if path.startswith(SERIAL_FOLDERS) or item.get_closest_marker("stress"):
            item.add_marker(pytest.mark.serial)


@pytest.fixture(autouse=True, scope="session")
def _no_periodic_work_in_the_test_process() -> None:
    """Tests drive ``config.asgi.application`` directly; its scheduler would run sweeps against their
    data. Servers the tests start as child processes run theirs (tests/faults/)."""
    from django.conf import settings

    settings.SWITCHBOARD_PERIODIC_IN_PROCESS = False


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language() -> Iterator[None]:
    """A view rendered for a Russian-speaking manager leaves Russian active in the thread; the next
    test's English error texts would then depend on which file ran before it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def queues(db: None) -> dict[str, Queue]:
    return {
        "general": do_ensure_queue(slug="general", name="General", skill_slug="general", skill_name="General"),
        "stylist": do_ensure_queue(
            slug="stylist", name="Stylist consultation", skill_slug="stylist", skill_name="Stylist"
        ),
    }


@pytest.fixture
def reason(db: None) -> Reason:
    return do_ensure_reason(slug="order-where", category="Order", name_en="Order: where is it", name_ru="Заказ: где он")


@pytest.fixture
def make_operator(queues: dict[str, Queue]) -> Callable[..., Operator]:
    def make(name: str | None = None, **kwargs: object) -> Operator:
        n = next(_counter)
        name = name or f"op{n}"
        return do_create_operator(username=f"{name}-{n}", password="pw-123456", display_name=name, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def shopper_writes(queues: dict[str, Queue]) -> Callable[..., ReceivedMessage]:
    def write(sender: str, text: str = "hello", **kwargs: object) -> ReceivedMessage:
        kwargs.setdefault("connector", "widget")
        return do_receive_inbound(InboundMessage(sender_id=sender, text=text, **kwargs))  # type: ignore[arg-type]

    return write


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings: pytest.FixtureRequest) -> None:
    """Every test counts rate-limited hits under its own key prefix: the cache (Redis) is shared."""
    settings.SWITCHBOARD_THROTTLE_PREFIX = f"throttle-test-{uuid.uuid4().hex}"  # type: ignore[attr-defined]
