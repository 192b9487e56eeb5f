"""Orders: the shop's customers and orders, beside every chat. Known to ``chat`` only through what it registers."""

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        # A contact's export carries their orders, and erasing the contact erases them.
        from chat.actions.contacts import contact_fk_mover
        from chat.demo import register_demo_loader
        from chat.merging import register_mover
        from chat.privacy import register_contact_eraser, register_contact_exporter
        from chat.verified import register_verified_details_hook
        from orders import actions, demo, models, selectors

        register_contact_exporter("orders", selectors.orders_export)
        register_contact_eraser("orders", actions.erase_orders_of)
        # A contact the shop vouched for (widget sign-in) gets the orders already waiting for them.
        register_verified_details_hook("orders", actions.do_link_verified_contact)
        register_demo_loader(demo.load_demo_orders)
        # A contact merge moves the contact's orders with it, and its undo moves them back.
        orders_mover = contact_fk_mover(models.Order)
        register_mover("orders", orders_mover.move, orders_mover.undo)
        # The panel's endpoint joins the workspace API (/api/): workspace never imports orders.
        from orders.operator_api import router
        from workspace.api import api

        api.add_router("", router)
