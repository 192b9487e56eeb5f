from django.apps import AppConfig


class KbConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from chat.demo import register_demo_loader
        from kb.demo import load_kb_demo

        register_demo_loader(load_kb_demo)
