from django.urls import path

from connectors.telegram import views

urlpatterns = [path("webhook/", views.webhook, name="telegram-webhook")]
