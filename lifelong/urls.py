from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from lifelong.accounts import views as accounts_views
from lifelong.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="agenda:today"), name="home"),
    path("login/", accounts_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("lifelong.accounts.urls")),
    path("customers/", include("lifelong.customers.urls")),
    path("touches/", include("lifelong.touches.urls")),
    path("commerce/", include("lifelong.commerce.urls")),
    path("value/", include("lifelong.value.urls")),
    path("occasions/", include("lifelong.occasions.urls")),
    path("today/", include("lifelong.agenda.urls")),
    path("segments/", include("lifelong.segments.urls")),
    path("outreach/", include("lifelong.outreach.urls")),
    path("promises/", include("lifelong.promises.urls")),
    path("surveys/", include("lifelong.surveys.urls")),
    path("referrals/", include("lifelong.referrals.urls")),
    path("imports/", include("lifelong.imports.urls")),
    path("extras/", include("lifelong.extras.urls")),
    path("events/", include("lifelong.events.urls")),
    path("audit/", include("lifelong.audit.urls")),
    path("privacy/", include("lifelong.privacy.urls")),
    path("api/v1/", api.urls),
]
