"""The value app's database tables (Django models); the maths is in value/models/."""

from django.db import models  # noqa: F401
