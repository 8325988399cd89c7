app_name = "occasions"
urlpatterns: list = []
