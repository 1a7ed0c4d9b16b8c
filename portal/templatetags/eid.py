"""The national eID sign-in box of the login page (`{% eid_sign_in %}`): nothing while eID
sign-in is off."""

from django import template
from django.conf import settings

from portal.eid import config

register = template.Library()


@register.inclusion_tag("registration/_eid_sign_in.html", takes_context=True)
def eid_sign_in(context):
    return {
        "enabled": config.enabled(),
        "next": context.get("next"),
        "password_login_citizens": settings.PASSWORD_LOGIN_CITIZENS,
    }
