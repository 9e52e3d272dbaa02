import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from partnerportal.demo import DEMO_PASSWORD, DemoContext, seed_core


class Command(BaseCommand):
    help = "Create demo organisations, people and data for local use. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        ctx = DemoContext(stdout=self.stdout)
        with transaction.atomic():
            seed_core(ctx)
        for config in apps.get_app_configs():
            if config.name == "partnerportal":
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            with transaction.atomic():
                module.seed(ctx)
        if not options["quiet_logins"]:
            self.print_logins(ctx)

    def print_logins(self, ctx):
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        width = max(len(email) for email, _ in ctx.logins)
        for email, description in ctx.logins:
            self.stdout.write(f"  {email.ljust(width)}  {description}")
        self.stdout.write("")
