from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    """A logged-in user's chosen language wins over the browser's, unless the language cookie
    was set by the switcher in this browser (then LocaleMiddleware has already honoured it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language != translation.get_language()
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
