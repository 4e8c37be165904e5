"""The product's URLs plus the benchmark's "hello" view (never part of the product)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from caselog.urls import urlpatterns as product_urlpatterns


@login_not_required
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"hello", content_type="text/plain")


urlpatterns = [path("bench-hello/", hello), *product_urlpatterns]
