from django.urls import path

from connectors.vk import views

urlpatterns = [path("callback/", views.callback, name="vk-callback")]
