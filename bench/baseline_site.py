"""Baselines served by gunicorn in the same session as the portal (see bench_http.py):

- `bench.baseline_site:hello`: a plain WSGI callable, no Django;
- `bench.baseline_site:application`: a bare Django project whose one view renders a small
  template with no database, no sessions and no middleware.
"""

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-secret",  # noqa: S106
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {
                "page.html": "<!DOCTYPE html><html lang='vi'><head><title>{{ title }}</title>"
                "</head><body><h1>{{ title }}</h1><ul>{% for i in items %}<li>{{ i }}</li>"
                "{% endfor %}</ul></body></html>",
            })]},
        }
    ],
)  # fmt: skip

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402


def page(request):
    return render(request, "page.html", {"title": "Dịch vụ công", "items": range(10)})


urlpatterns = [path("", page)]
application = get_wsgi_application()


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
