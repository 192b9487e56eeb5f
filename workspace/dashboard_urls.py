"""Dashboard URLs, included from ``workspace.urls`` under ``workspace/dashboards/``."""

from django.urls import URLPattern, path

from workspace import customer_data, dashboards

urlpatterns: list[URLPattern] = [
    path("", dashboards.dashboard_home, name="dashboards"),
    path("live/", dashboards.live, name="dashboard-live"),
    path("live.json", dashboards.live_json, name="dashboard-live-json"),
    path("alerts.json", dashboards.alerts_json, name="dashboard-alerts-json"),
    path("history/", dashboards.history, name="dashboard-history"),
    path("history.json", dashboards.history_json, name="dashboard-history-json"),
    path("export/<slug:table>.csv", dashboards.export_csv, name="dashboard-export"),
    path("targets/", dashboards.targets, name="dashboard-targets"),
    path("targets/breaches.csv", dashboards.breaches_csv, name="dashboard-breaches-csv"),
    path("customers/", customer_data.customer_data, name="customer-data"),
    path("customers/<int:contact_id>/erase/", customer_data.erase_customer, name="customer-data-erase"),
]
