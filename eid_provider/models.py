from django.conf import settings
from django.db import models


class Person(models.Model):
    """A demo person of the national population database: the login is the citizen ID number
    (the `username` of the linked user), the claims come from here."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    full_name = models.CharField(max_length=150)
    citizen_id = models.CharField(max_length=12, unique=True)
    level = models.CharField(max_length=8, default="2")

    def __str__(self):
        return f"{self.full_name} ({self.citizen_id})"
