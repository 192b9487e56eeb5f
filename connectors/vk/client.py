"""vk_api pointed at ``VK_API_URL``, with the API version passed explicitly.

vk_api posts to a hard-coded host (``api.vk.ru`` in 11.10.1, ``api.vk.com`` before), so the route
to ``VK_API_URL`` goes through its ``requests`` session: an adapter mounted on both hosts rewrites
each request's URL. The same adapter puts a timeout on every call (requests has none by default).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from vk_api import VkApi, VkUpload

from connectors import ratelimit

VK_HOSTS = ("https://api.vk.com", "https://api.vk.ru")
TIMEOUT_SECONDS = 30
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
TOO_MANY_REQUESTS = 6


class ForwardingAdapter(HTTPAdapter):
    """Send requests for VK's API host to ``target`` instead (a proxy or a local test server)."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = request.url or ""
        for host in VK_HOSTS:
            if url.startswith(host + "/"):
                request.url = self.target + url[len(host) :]
                break
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT_SECONDS
        return super().send(request, **kwargs)


def is_configured() -> bool:
    return bool(settings.VK_GROUP_TOKEN)


def make_session() -> requests.Session:
    session = requests.Session()
    adapter = ForwardingAdapter(settings.VK_API_URL)
    # Every URL, not only the API's: uploads go to servers VK names per call, and need the timeout too.
    for prefix in (*VK_HOSTS, "https://", "http://"):
        session.mount(prefix, adapter)
    return session


def make_api() -> VkApi:
    api = VkApi(token=settings.VK_GROUP_TOKEN, api_version=settings.VK_API_VERSION, session=make_session())
    # Our Redis limiter spaces the calls across processes; vk_api's own 3/s per-process delay and
    # its endless sleep-and-retry on error 6 would only hide the limit from the delivery task.
    api.RPS_DELAY = 0
    api.error_handlers.pop(TOO_MANY_REQUESTS, None)
    return api


def call(method: str, values: Mapping[str, Any] | None = None, api: VkApi | None = None) -> Any:
    """One API call within the community's 20 requests/s."""
    ratelimit.acquire(ratelimit.vk_windows())
    return (api or make_api()).method(method, dict(values or {}))


def random_id_for(message_id: int) -> int:
    """Our message id, so every retry of one message carries the same ``random_id`` and VK
    delivers it once; distinct messages never share one. Kept within VK's int32."""
    return message_id % 2**31


def random_id_for_notice(notice_id: int) -> int:
    """A notice's ``random_id``: the upper half of VK's int32, so it meets no message's until our
    message ids pass 2**30 (and then only a message and a notice to one peer within VK's hour)."""
    return 2**30 + notice_id % 2**30


def send_text(
    peer_id: int | str,
    text: str,
    *,
    random_id: int,
    keyboard: Mapping[str, Any] | str | None = None,
    attachments: Sequence[str] = (),
) -> int:
    """``messages.send``; return VK's message id. ``keyboard`` is VK's keyboard JSON object;
    ``attachments`` are uploaded files as :func:`upload_file` names them."""
    values: dict[str, Any] = {"peer_id": peer_id, "message": text, "random_id": random_id}
    if attachments:
        values["attachment"] = ",".join(attachments)
    if keyboard is not None:
        values["keyboard"] = keyboard if isinstance(keyboard, str) else json.dumps(keyboard, ensure_ascii=False)
    return int(call("messages.send", values))


def upload_file(peer_id: int | str, *, content: bytes, name: str, as_photo: bool) -> str:
    """Upload a file for a message to ``peer_id`` (vk_api's ``VkUpload``: the upload server VK names,
    then ``photos.saveMessagesPhoto`` or ``docs.save``); return its attachment name for messages.send.

    A retry uploads again (an unsent upload is harmless); the message itself is sent once, by its
    ``random_id``. Counted as one call against the community's rate limit.
    """
    ratelimit.acquire(ratelimit.vk_windows())
    upload = VkUpload(make_api())
    handle = io.BytesIO(content)
    handle.name = name
    if as_photo:
        photo = upload.photo_messages(handle, peer_id=peer_id)[0]
        key = f"_{photo['access_key']}" if photo.get("access_key") else ""
        return f"photo{photo['owner_id']}_{photo['id']}{key}"
    saved = upload.document_message(handle, title=name, peer_id=peer_id)
    doc = saved.get("doc") or saved
    return f"doc{doc['owner_id']}_{doc['id']}"


def answer_event(*, event_id: str, user_id: int, peer_id: int, snackbar: str | None = None) -> None:
    values: dict[str, Any] = {"event_id": event_id, "user_id": user_id, "peer_id": peer_id}
    if snackbar:
        values["event_data"] = json.dumps({"type": "show_snackbar", "text": snackbar[:90]}, ensure_ascii=False)
    call("messages.sendMessageEventAnswer", values)


def user_profile(user_id: int) -> dict[str, Any]:
    users = call("users.get", {"user_ids": user_id})
    return users[0] if users else {}


def download(url: str) -> bytes:
    """A photo or document from VK's storage, capped at 20 MB."""
    with make_session().get(url, stream=True, timeout=TIMEOUT_SECONDS) as response:
        response.raise_for_status()
        content = bytearray()
        for chunk in response.iter_content(64 * 1024):
            content += chunk
            if len(content) > MAX_DOWNLOAD_BYTES:
                raise ValueError("The file is over 20 MB.")
        return bytes(content)
