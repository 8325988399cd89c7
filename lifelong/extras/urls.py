app_name = "extras"
urlpatterns: list = []
