from django.contrib.auth import views as auth_views
from django.shortcuts import render

from eid_provider.models import Person
from eid_provider.people import DEMO_PASSWORD


def home(request):
    return render(request, "eid_provider/home.html", {"people": Person.objects.order_by("pk")})


class LoginView(auth_views.LoginView):
    template_name = "eid_provider/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["people"] = Person.objects.order_by("pk")
        context["demo_password"] = DEMO_PASSWORD
        return context
