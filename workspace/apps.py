from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = "Workspace"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from workspace.auth import ThrottledAdminAuthenticationForm, forget_failures, record_failure

        user_login_failed.connect(record_failure, dispatch_uid="workspace.login-throttle.failed")
        user_logged_in.connect(forget_failures, dispatch_uid="workspace.login-throttle.logged-in")
        admin.site.login_form = ThrottledAdminAuthenticationForm
