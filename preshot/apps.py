"""Pre-shot: the likely questions for an order's stage, answered before the shopper asks.

Known to ``chat`` and ``orders`` only through what it registers here: its shop API routes.
"""

from django.apps import AppConfig


class PreshotConfig(AppConfig):
    name = "preshot"
    verbose_name = "Pre-shot suggestions"

    def ready(self) -> None:
        # A contact merge moves their deflection log with them (chats after an answer stay counted).
        from chat.actions.contacts import contact_fk_mover
        from chat.merging import register_mover
        from preshot.models import SuggestionEvent

        events_mover = contact_fk_mover(SuggestionEvent)
        register_mover("preshot_events", events_mover.move, events_mover.undo)
        # Suggestions and the help search join the shop API (/api/shop/v1/): orders never imports preshot.
        from orders.shop_api import shop_api
        from preshot.shop_api import router

        shop_api.add_router("", router)
        # /start on Telegram and VK shows the shopper's order and its questions as buttons.
        from preshot import bots

        bots.register()
        # Notices consented to in the widget are shown by the shopper's widget (connectors.widget.notices).
        from connectors.widget.notices import register_notice_source
        from preshot.notices import WIDGET_SOURCE

        register_notice_source(WIDGET_SOURCE)
