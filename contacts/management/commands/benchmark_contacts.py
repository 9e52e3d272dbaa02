import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from contacts.taxonomy import get_tree
from partnerportal.models import User


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic contacts (one INSERT … SELECT) and time the reason "
        "search, the contact list and the reports. For development databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=1_000_000)
        parser.add_argument("--yes", action="store_true", help="Really add the rows.")

    def handle(self, *args, **options):
        staff = User.objects.filter(is_programme_staff=True, is_staff=True).first()
        agent = User.objects.filter(is_call_center_agent=True).first()
        if not (staff and agent):
            raise CommandError("Run seed_demo first (needs an agent and a supervisor).")
        missing = options["contacts"] - Contact.objects.count()
        if missing > 0:
            if not options["yes"]:
                raise CommandError(f"Would add {missing} contacts; pass --yes.")
            self._fill(missing, agent)
        tree = get_tree()
        started = time.perf_counter()
        for word in ("lost", "refund", "activation", "renewal status", "утеря"):
            tree.search(word)
        self.stdout.write(f"reason search: {(time.perf_counter() - started) / 5 * 1000:.2f} ms per query")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(staff)
        today = timezone.localdate()
        year_ago = (today - dt.timedelta(days=365)).isoformat()
        root = tree.nodes[tree.roots[5]]
        urls = [
            reverse("contacts:list"),
            reverse("contacts:reports") + f"?from={year_ago}",
            reverse("contacts:reports") + f"?from={year_ago}&parent={root.id}",
            reverse("contacts:reports") + f"?from={year_ago}&dimension=action_taken",
            reverse("contacts:reports") + f"?from={year_ago}&dimension=agent",
            reverse("contacts:reports") + f"?from={year_ago}&dimension=period&period=week",
        ]
        for url in urls:
            client.get(url)
            started = time.perf_counter()
            response = client.get(url)
            took = (time.perf_counter() - started) * 1000
            self.stdout.write(f"{response.status_code} {took:7.1f} ms  {url}")

    def _fill(self, n, agent):
        tree = get_tree()
        leaves = [node for node in tree.preorder if tree.is_selectable_leaf(node)]
        values = ",".join(
            "({}, {}, {})".format(
                node.id,
                node.ancestor_ids[0] if node.ancestor_ids else node.id,
                ((node.ancestor_ids[1] if len(node.ancestor_ids) > 1 else node.id) if node.level > 1 else "NULL"),
            )
            for node in leaves
        )
        agents = list(User.objects.filter(is_call_center_agent=True).values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH leaves(reason_id, l1, l2) AS (VALUES {values}),
                numbered AS (SELECT row_number() OVER () - 1 AS i, reason_id, l1, l2 FROM leaves)
                INSERT INTO contacts_contact (agent_id, created_at, reason_id, reason_l1_id, reason_l2_id, product,
                    market, interaction_type, referred_team, caller_id, delivery_channel, action_taken, notes,
                    duration_seconds, status)
                SELECT (%s::bigint[])[1 + g %% %s], now() - (g %% 365) * interval '1 day' - (g %% 600) * interval '1 minute',
                    n.reason_id, n.l1, n.l2, 'Windows 11', 'consumer',
                    (ARRAY['inbound_call','outbound_call','email','chat'])[1 + g %% 4], '', NULL, 'unknown',
                    (ARRAY['resolved','information_provided','escalated','feedback_recorded'])[1 + g %% 4], '', 300, 'closed'
                FROM generate_series(1, %s) AS g
                JOIN numbered n ON n.i = (g::bigint * 7919) %% (SELECT count(*) FROM leaves)
                """,
                [agents, len(agents), n],
            )
            cursor.execute("ANALYZE contacts_contact")
        self.stdout.write(f"added {n} contacts")
