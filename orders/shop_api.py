"""The shop API: a shop pushes its customers and orders, and reads them back from scripts.

Served at ``/api/shop/v1/`` (OpenAPI at ``/api/shop/v1/openapi.json``, docs at ``/api/shop/v1/docs``),
authenticated by ``Authorization: Bearer <shop api key>`` (``manage.py create_shop_api_key``).
Writes go through ``orders.actions``; a refused batch stores nothing and says what is wrong per field:
``{"error": {"code", "message", "fields": [{"field", "message"}]}}``. docs/orders.md has examples.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Body, NinjaAPI, Path, Schema
from ninja.errors import ValidationError

from orders import actions
from orders.actions import InvalidBatch
from orders.keys import shop_key_for
from orders.models import Order, ShopApiKey, ShopCustomer
from orders.schemas import (
    BATCH_EXAMPLE,
    MAX_CUSTOMERS_PER_BATCH,
    MAX_ITEMS_PER_ORDER,
    MAX_ORDERS_PER_BATCH,
    BatchIn,
    FieldError,
    field_errors,
)
from orders.selectors import order_payload
from workspace.api_common import ThrottledBearer, UntrustedParser, answer_errors_plainly


class ShopKeyAuth(ThrottledBearer[ShopApiKey]):
    """``Authorization: Bearer sbk_...``, throttled against guessing as the operators' tokens are."""

    def find(self, request: HttpRequest, secret: str) -> ShopApiKey | None:
        key = shop_key_for(secret)
        if key is not None:
            actions.do_touch_shop_api_key(key)
        return key


shop_api = NinjaAPI(
    title="Switchboard shop API",
    version="1",
    description=(
        "Push your customers and orders so operators see them beside every chat. "
        "Send `Authorization: Bearer <shop api key>` (`manage.py create_shop_api_key <name>`). "
        f"A batch holds at most {MAX_ORDERS_PER_BATCH} orders, {MAX_CUSTOMERS_PER_BATCH} customers and "
        f"{MAX_ITEMS_PER_ORDER} items per order; it is stored whole or not at all. Orders are upserted by "
        "`number` (the same batch twice changes nothing); a new `status` is kept in the order's history. "
        'Errors: `{"error": {"code", "message", "fields": [{"field", "message"}]}}` with the HTTP status.'
    ),
    auth=[ShopKeyAuth()],
    urls_namespace="shop-api",
    parser=UntrustedParser(),
    docs_url="/docs",
)


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[FieldErrorOut] = []


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _error(
    request: HttpRequest, code: str, message: str, status: int, fields: list[FieldError] | None = None
) -> HttpResponse:
    body = {
        "code": code,
        "message": message,
        "fields": [{"field": f.field, "message": f.message} for f in fields or []],
    }
    return shop_api.create_response(request, {"error": body}, status=status)


def _invalid(request: HttpRequest, errors: list[FieldError]) -> HttpResponse:
    return _error(request, InvalidBatch.code, InvalidBatch(errors).message, 422, errors)


@shop_api.exception_handler(InvalidBatch)
def invalid_batch(request: HttpRequest, exc: InvalidBatch) -> HttpResponse:
    return _invalid(request, exc.errors)


@shop_api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors):
        return _error(request, "not_found", _("Not found."), 404)
    # A body's errors are located ("body", "batch", ...), a query parameter's ("query", "lang").
    body = [e for e in exc.errors if e.get("loc", ("",))[0] != "query"]
    query = [e for e in exc.errors if e.get("loc", ("",))[0] == "query"]
    return _invalid(request, field_errors(query, skip=1) + field_errors(body, skip=2))


answer_errors_plainly(shop_api, _error, unauthorized=_("Send a valid shop API key: Authorization: Bearer <key>."))


class BatchOut(Schema):
    customers_created: int
    customers_updated: int
    orders_created: int
    orders_updated: int
    orders_unchanged: int
    orders: dict[str, str]


class ItemOut(Schema):
    name: str
    quantity: int
    price: str | None
    image_url: str


class HistoryOut(Schema):
    status: str
    status_label: str
    at: str


class OrderOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    is_open: bool
    stage_since: str | None
    customer_id: str
    email: str
    phone: str
    currency: str
    total: str | None
    placed_at: str | None
    paid_at: str | None
    shipped_at: str | None
    delivered_at: str | None
    promised_delivery_at: str | None
    carrier: str
    tracking_number: str
    tracking_url: str
    delivery_address: str
    items: list[ItemOut]
    history: list[HistoryOut]


class CustomerOrdersOut(Schema):
    customer_id: str
    name: str
    email: str
    phone: str
    orders: list[OrderOut]


@shop_api.post(
    "/batch",
    response={200: BatchOut, **ERRORS},
    summary="Create or update customers and orders",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": BATCH_EXAMPLE}}}},
)
def post_batch(request: HttpRequest, batch: Annotated[BatchIn, Body()]) -> dict[str, Any]:
    """Customers first, then orders by ``number``; all of it or nothing. Each order's outcome is
    ``created``, ``updated`` or ``unchanged``."""
    result = actions.do_upsert_batch(batch)
    return {
        "customers_created": result.customers_created,
        "customers_updated": result.customers_updated,
        "orders_created": result.orders_created,
        "orders_updated": result.orders_updated,
        "orders_unchanged": result.orders_unchanged,
        "orders": result.orders,
    }


@shop_api.get("/orders/{number}", response={200: OrderOut, **ERRORS}, summary="An order, with its status history")
def get_order(request: HttpRequest, number: Annotated[str, Path(max_length=100)]) -> dict[str, Any]:
    order = Order.objects.prefetch_related("items", "status_changes").filter(number=number).first()
    if order is None:
        raise Http404
    return order_payload(order)


@shop_api.get(
    "/customers/{customer_id}/orders", response={200: CustomerOrdersOut, **ERRORS}, summary="A customer's orders"
)
def get_customer_orders(request: HttpRequest, customer_id: Annotated[str, Path(max_length=100)]) -> dict[str, Any]:
    customer = ShopCustomer.objects.filter(customer_id=customer_id).first()
    if customer is None:
        raise Http404
    orders = (
        Order.objects.filter(customer_id=customer_id)
        .prefetch_related("items", "status_changes")
        .order_by("-placed_at", "-id")
    )
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "orders": [order_payload(o) for o in orders],
    }
