"""One OS process of the stress test: random shopper and operator actions through the real chat actions.

Started with multiprocessing's "spawn", so nothing Django is imported until the child has its
environment (DATABASE_URL names the test database) and calls ``django.setup()`` itself.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import traceback
from collections import Counter
from typing import Any


def run(worker: int, seconds: float, ready: Any, go: Any, stop: Any, done: Any, results: Any) -> None:
    """Act until the parent says stop (enough work seen) or ``seconds`` pass; report what happened."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    outcome: dict[str, Any] = {"worker": worker, "ops": Counter(), "refused": Counter(), "unexpected": []}
    try:
        asyncio.run(_work(worker, seconds, ready, go, stop, done, outcome))
    except BaseException:
        outcome["unexpected"].append(traceback.format_exc())
    finally:
        outcome["ops"] = dict(outcome["ops"])
        outcome["refused"] = dict(outcome["refused"])
        results.put(outcome)


async def _work(
    worker: int, seconds: float, ready: Any, go: Any, stop: Any, done: Any, outcome: dict[str, Any]
) -> None:
    """Like a daphne process: an event loop whose actions run in a worker thread, so the events each
    action publishes after commit go out through this loop's one channel-layer connection."""
    from asgiref.sync import sync_to_async
    from django.db import connections

    actor = await sync_to_async(_Actor)(worker, random.Random(worker * 7919))
    ready.put(worker)
    await sync_to_async(go.wait)(60)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and not stop.is_set():
            before = outcome["ops"].total()
            await sync_to_async(actor.step)(outcome)
            with done.get_lock():
                done.value += outcome["ops"].total() - before
    finally:
        await sync_to_async(connections.close_all)()


class _Actor:
    def __init__(self, worker: int, rng: random.Random) -> None:
        from chat.models import Operator, Queue, Reason

        self.worker = worker
        self.rng = rng
        self.operator_ids = list(Operator.objects.order_by("pk").values_list("pk", flat=True))
        self.queue_ids = dict(Queue.objects.values_list("slug", "pk"))
        self.reason_id = Reason.objects.values_list("pk", flat=True).first()
        self.senders = [f"w{worker}-shopper-{n}" for n in range(400)]

    def step(self, outcome: dict[str, Any]) -> None:
        from chat.errors import ChatError

        roll = self.rng.random()
        if roll < 0.35:
            name, action = "receive", self.receive
        elif roll < 0.65:
            name, action = "operator_close", self.operator_close
        elif roll < 0.72:
            name, action = "shopper_close", self.shopper_close
        elif roll < 0.78:
            name, action = "transfer_to_queue", self.transfer_to_queue
        elif roll < 0.85:
            name, action = "transfer_to_operator", self.transfer_to_operator
        else:
            name, action = "status", self.status
        try:
            done = action()
        except ChatError as exc:
            # Another process changed the chat between our look and our action: a fair refusal.
            outcome["refused"][f"{name}:{exc.code}"] += 1
            outcome["ops"][name] += 1
        except Exception:
            outcome["unexpected"].append(f"{name}: {traceback.format_exc()}")
        else:
            if done:
                outcome["ops"][name] += 1

    def _pick_active(self) -> tuple[int, int] | None:
        from chat.models import Conversation

        rows = list(Conversation.objects.filter(state="active").values_list("pk", "operator_id"))
        return self.rng.choice(rows) if rows else None

    def receive(self) -> bool:
        from chat.actions import InboundMessage, do_receive_inbound

        queue = "stylist" if self.rng.random() < 0.2 else "general"
        sender = self.rng.choice(self.senders)
        do_receive_inbound(
            InboundMessage(connector="widget", sender_id=sender, text=f"hello from {sender}", queue_slug=queue)
        )
        return True

    def operator_close(self) -> bool:
        from chat.actions import do_close

        picked = self._pick_active()
        if picked is None:
            return False
        do_close(conversation_id=picked[0], operator_id=picked[1], reason_id=self.reason_id)
        return True

    def shopper_close(self) -> bool:
        from chat.actions import do_close
        from chat.models import Conversation

        rows = list(Conversation.objects.exclude(state="closed").values_list("pk", flat=True)[:200])
        if not rows:
            return False
        do_close(conversation_id=self.rng.choice(rows), by="shopper")
        return True

    def transfer_to_queue(self) -> bool:
        from chat.actions import do_transfer

        picked = self._pick_active()
        if picked is None:
            return False
        queue_id = self.queue_ids["stylist" if self.rng.random() < 0.3 else "general"]
        do_transfer(conversation_id=picked[0], actor_operator_id=picked[1], to_queue_id=queue_id)
        return True

    def transfer_to_operator(self) -> bool:
        from chat.actions import do_transfer

        picked = self._pick_active()
        if picked is None:
            return False
        target = self.rng.choice([pk for pk in self.operator_ids if pk != picked[1]])
        do_transfer(conversation_id=picked[0], actor_operator_id=picked[1], to_operator_id=target)
        return True

    def status(self) -> bool:
        from chat.actions import do_set_operator_status

        status = self.rng.choices(["online", "away", "offline"], weights=[6, 2, 2])[0]
        do_set_operator_status(operator_id=self.rng.choice(self.operator_ids), status=status)
        return True
