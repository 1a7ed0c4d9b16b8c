import unicodedata

from django.conf import settings
from django.utils.translation import get_language, get_language_info


def languages(request):
    """The language switcher's entries, each named in its own language.

    Django's own names are not NFC-normalised ("Tiếng Việt" comes with combining marks), which
    breaks search, screen readers' pronunciation and copy-paste; normalise them once here.
    """
    current = get_language()
    return {
        "language_choices": [
            {
                "code": code,
                "name": unicodedata.normalize("NFC", get_language_info(code)["name_local"]),
                "current": code == current,
            }
            for code, _ in settings.LANGUAGES
        ]
    }
