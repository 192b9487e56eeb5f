"""Both sockets refuse a page from another origin: a foreign site cannot ride a signed-in session."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.mark.parametrize("path", ["/ws/widget/", "/ws/workspace/"])
@pytest.mark.parametrize("origin", [b"https://evil.example", b"null"])
async def test_a_foreign_origin_is_refused_at_the_handshake(path: str, origin: bytes) -> None:
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", origin), (b"host", b"127.0.0.1")])
    connected, _ = await communicator.connect(timeout=10)
    assert not connected
    await communicator.disconnect()


async def test_the_own_origin_is_let_through(queues: object) -> None:
    communicator = WebsocketCommunicator(
        application, "/ws/widget/", headers=[(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1")]
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await communicator.disconnect()
