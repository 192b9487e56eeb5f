"""Service targets: set by a manager, checked by the beat task, breaches recorded with start and end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.actions.setup import do_create_operator
from chat.models import Conversation, Event
from workspace.models import ServiceTarget, TargetBreach
from workspace.tasks import check_service_targets, close_silent_queued

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.fixture
def manager(queues) -> Client:
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    client = Client()
    assert client.login(username="max", password="pw-123456")
    return client


def write(sender: str) -> Conversation:
    return do_receive_inbound(InboundMessage(connector="widget", sender_id=sender, text="hi")).conversation


def alerts(kind: str) -> list[dict]:
    return list(Event.objects.filter(kind=kind, audience="managers").values_list("payload", flat=True))


def test_manager_sets_targets_and_bad_input_is_refused(manager):
    response = manager.post(
        "/workspace/dashboards/targets/",
        {
            "max_queue_wait-threshold": "60",
            "service_level-threshold": "80",
            "service_level-seconds": "30",
            "service_level-window": "15",
            "csat-threshold": "",
            "first_response-threshold": "45",
        },
    )
    assert response.status_code == 302
    saved = {t.metric: (t.threshold, t.window_minutes, t.service_level_seconds) for t in ServiceTarget.objects.all()}
    assert saved == {
        "max_queue_wait": (60.0, 60, None),
        "service_level": (80.0, 15, 30),
        "first_response": (45.0, 60, None),
    }
    refused = manager.post("/workspace/dashboards/targets/", {"csat-threshold": "lots"})
    assert refused.status_code == 400
    assert "the threshold must be a number" in refused.content.decode()
    assert ServiceTarget.objects.filter(metric="csat").count() == 0
    # Emptying a threshold switches the target off.
    manager.post("/workspace/dashboards/targets/", {"max_queue_wait-threshold": ""})
    assert not ServiceTarget.objects.get(metric="max_queue_wait").is_active


def test_queue_wait_breach_is_raised_recorded_and_cleared(clock, manager, make_operator):
    ServiceTarget.objects.create(metric="max_queue_wait", threshold=30)
    clock.at(9, 0)
    waiting = write("s1")
    clock.at(9, 0, 20)
    assert check_service_targets() == ["max_queue_wait:ok"]  # 20 s <= 30 s
    clock.at(9, 0, 45)
    assert check_service_targets() == ["max_queue_wait:raised"]  # 45 s > 30 s
    clock.at(9, 1, 15)
    assert check_service_targets() == ["max_queue_wait:breached"]  # still 75 s: same breach, worse
    breach = TargetBreach.objects.get()
    assert (breach.started_at.time().isoformat(), breach.ended_at) == ("09:00:45", None)
    assert (breach.first_value, breach.worst_value) == (45.0, 75.0)
    raised = alerts("alert.raised")
    assert len(raised) == 1 and raised[0]["metric"] == "max_queue_wait" and raised[0]["value"] == 45.0
    # The live banner's source has it while it lasts.
    assert [a["breach_id"] for a in manager.get("/workspace/dashboards/alerts.json").json()["alerts"]] == [breach.pk]
    clock.at(9, 2)
    anna = make_operator("Anna")
    do_set_operator_status(operator_id=anna.pk, status="online")
    assert Conversation.objects.get(pk=waiting.pk).state == "active"
    clock.at(9, 2, 30)
    assert check_service_targets() == ["max_queue_wait:cleared"]
    breach.refresh_from_db()
    assert breach.ended_at - breach.started_at == timedelta(seconds=105)  # 09:00:45 -> 09:02:30
    assert [a["breach_id"] for a in alerts("alert.cleared")] == [breach.pk]
    assert manager.get("/workspace/dashboards/alerts.json").json()["alerts"] == []
    # The history lists it, with both ends.
    listing = manager.get("/workspace/dashboards/targets/").content.decode()
    assert "09:00:45" in listing and "09:02:30" in listing
    exported = manager.get("/workspace/dashboards/targets/breaches.csv").content.decode().splitlines()
    assert exported[1].startswith("max_queue_wait,30.0,2026-03-10 09:00:45")


def test_service_level_target_uses_its_own_window_and_t(clock, make_operator):
    ServiceTarget.objects.create(metric="service_level", threshold=50, service_level_seconds=10, window_minutes=30)
    clock.at(9, 0)
    write("s1")  # nobody online: waits
    clock.at(9, 0, 25)
    anna = make_operator("Anna")
    do_set_operator_status(operator_id=anna.pk, status="online")  # answered after 25 s > T = 10 s
    clock.at(9, 1)
    assert check_service_targets() == ["service_level:raised"]  # 0 / 1 = 0 % < 50 %
    write("s2")  # answered at once
    write("s3")  # answered at once
    assert check_service_targets() == ["service_level:cleared"]  # 2 / 3 = 66.7 %
    # Half an hour later the window holds nothing: no value, no breach.
    clock.at(9, 40)
    assert check_service_targets() == ["service_level:ok"]


def test_a_silent_queued_shopper_is_abandoned_by_the_system(clock, settings, queues):
    settings.SWITCHBOARD_ABANDON_AFTER_SECONDS = 300
    clock.at(9, 0)
    silent = write("s1")
    clock.at(9, 3)
    talking = write("s2")
    clock.at(9, 4)
    write("s2")  # s2 writes again: still here
    clock.at(9, 5, 1)
    assert close_silent_queued() == [silent.pk]
    gone = Conversation.objects.get(pk=silent.pk)
    assert (gone.state, gone.closed_by_kind, gone.abandoned_at.time().isoformat()) == ("closed", "system", "09:05:01")
    assert Conversation.objects.get(pk=talking.pk).state == "queued"


def form_fields(html: str) -> dict[str, str]:
    """The targets form's inputs as the browser would post them back untouched."""
    import re

    fields = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


@pytest.mark.parametrize("language", ["en", "ru"])
def test_saving_the_unchanged_form_changes_nothing_in_either_language(manager, language):
    manager.post(
        "/workspace/dashboards/targets/",
        {
            "max_queue_wait-threshold": "60",
            "service_level-threshold": "80.5",
            "service_level-seconds": "30",
            "service_level-window": "15",
            "csat-threshold": "90",
            "first_response-threshold": "45",
        },
    )
    before = list(
        ServiceTarget.objects.order_by("metric").values_list(
            "metric", "threshold", "window_minutes", "service_level_seconds", "is_active"
        )
    )
    page = manager.get("/workspace/dashboards/targets/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    fields = form_fields(page)
    assert fields["max_queue_wait-threshold"] == "60" and fields["service_level-threshold"] == "80.5"

    saved = manager.post("/workspace/dashboards/targets/", fields, HTTP_ACCEPT_LANGUAGE=language, follow=True)

    after = list(
        ServiceTarget.objects.order_by("metric").values_list(
            "metric", "threshold", "window_minutes", "service_level_seconds", "is_active"
        )
    )
    assert after == before
    confirmation = {"en": "Targets saved.", "ru": "Цели сохранены."}[language]
    assert confirmation in saved.content.decode()


def test_a_threshold_typed_with_a_decimal_comma_is_understood(manager):
    manager.post("/workspace/dashboards/targets/", {"csat-threshold": "85,5"})
    assert ServiceTarget.objects.get(metric="csat").threshold == 85.5
