from django.apps import AppConfig


class AgendaConfig(AppConfig):
    """Reads every app and ranks today's actions; owns no domain data.

    At start-up it imports each installed app's `agenda_sources` module, whose SOURCES
    list registers that app's items (lifelong/agenda/services.py explains the protocol).
    """

    name = "lifelong.agenda"
    label = "agenda"

    def ready(self) -> None:
        from django.apps import apps
        from django.utils.module_loading import module_has_submodule

        from lifelong.agenda.services import register

        for config in apps.get_app_configs():
            if module_has_submodule(config.module, "agenda_sources"):
                module = __import__(f"{config.name}.agenda_sources", fromlist=["SOURCES"])
                for kind, source, handler in module.SOURCES:
                    register(kind, source, handler)
