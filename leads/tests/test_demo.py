import datetime as dt

from django.utils import timezone

from leads import demo
from leads.models import BusinessProfile, Lead
from partnerportal.demo import DemoContext, seed_core


def test_demo_has_every_type_in_every_stage_and_is_idempotent(db):
    ctx = DemoContext()
    seed_core(ctx)
    demo.seed(ctx)
    count = Lead.objects.count()
    demo.seed(ctx)
    assert Lead.objects.count() == count
    contoso = Lead.objects.filter(org=ctx.orgs["contoso"]).exclude(contact_email__endswith="@history.example")
    assert {(lead.type, lead.status) for lead in contoso} == {
        (t, s) for t in Lead.Type.values for s in Lead.Status.values
    }
    now = timezone.now()
    received = [lead for lead in contoso if lead.status == Lead.Status.RECEIVED]
    assert any(lead.time_left(now) < dt.timedelta(hours=6) for lead in received)
    assert {lead.flame(now) for lead in received} >= {"fresh", "waiting"}
    assert not BusinessProfile.objects.get(org=ctx.orgs["woodgrove"]).is_published
    ranked = BusinessProfile.objects.filter(is_published=True).order_by("response_tier")
    assert ranked.first().org == ctx.orgs["contoso"]
