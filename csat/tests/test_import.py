import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from csat.importing import FileError, email_is_valid, read_table
from csat.models import Contact, ContactImport
from csat.services import import_commit, import_preview
from partnerportal.errors import DomainError

from .factories import make_contact

HEADER = "first_name,last_name,email,customer_organisation,language,consent\n"


def _preview(org, user, text, name="contacts.csv", encoding="utf-8"):
    return import_preview(org=org, actor=user, filename=name, data=text.encode(encoding))


def test_each_kind_of_bad_row_is_listed_with_its_line_and_nothing_imported(org_a, alice):
    make_contact(org_a, "existing@c.example")
    text = HEADER + (
        "Ana,Kovač,ana@c.example,Adventure Works,hr,yes\n"  # 2 ok
        "Bad,Mail,not-an-email,Adventure Works,en,yes\n"  # 3
        "Un,Known,un@c.example,Adventure Works,klingon,yes\n"  # 4
        "No,Org,noorg@c.example,,en,yes\n"  # 5
        "Dup,Licate,ANA@c.example,Fourth Coffee,en,yes\n"  # 6 duplicate of line 2
        "Ex,Isting,existing@c.example,Fourth Coffee,en,no\n"  # 7
    )
    imp = _preview(org_a, alice, text)
    reasons = {e["line"]: e["reason"] for e in imp.errors}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "not a valid e-mail" in reasons[3]
    assert "unknown language" in reasons[4]
    assert "customer organization is missing" in reasons[5]
    assert "duplicate of line 2" in reasons[6]
    assert "already exists" in reasons[7]
    with pytest.raises(DomainError):
        import_commit(imp=imp, actor=alice)
    assert Contact.objects.filter(org=org_a).count() == 1


def test_bom_semicolons_quotes_and_non_latin_names(org_a, alice):
    text = (
        "\ufefffirst_name;last_name;email;customer_organisation;language;consent\n"
        '明;王;wang@c.example;"Fourth Coffee; Shanghai";zh-hans;yes\n'
        'נועה;כהן;noa@c.example;"Trey ""Research""";he;no\n'
    )
    imp = _preview(org_a, alice, text)
    assert imp.errors == []
    assert import_commit(imp=imp, actor=alice) == 2
    wang = Contact.objects.get(email="wang@c.example")
    assert (wang.first_name, wang.customer_org, wang.language, wang.consent) == (
        "明",
        "Fourth Coffee; Shanghai",
        "zh-hans",
        True,
    )
    assert Contact.objects.get(email="noa@c.example").customer_org == 'Trey "Research"'


def test_xlsx_upload(org_a, alice):
    wb = Workbook()
    ws = wb.active
    ws.append(["First name", "Last name", "E-mail", "Customer organisation", "Language", "Consent"])
    ws.append(["Jonas", "Weber", "jonas@c.example", "Wingtip Toys", "de", "yes"])
    out = io.BytesIO()
    wb.save(out)
    imp = import_preview(org=org_a, actor=alice, filename="c.xlsx", data=out.getvalue())
    assert import_commit(imp=imp, actor=alice) == 1


@pytest.mark.parametrize(
    "email,valid",
    [
        ("ana.kovac+csat@c.example", True),
        ("o'brien@c.example", True),
        ("ana@xn--mnchen-3ya.example", True),
        ("ana@c.example.", False),
        ("ana..k@c.example", False),
        (".ana@c.example", False),
        ("ana@-c.example", False),
        ("ana@c", False),
        ("ana@@c.example", False),
        ("a" * 250 + "@c.example", False),  # longer than the contact's address field
    ],
)
def test_email_check_agrees_with_the_validator(email, valid):
    assert email_is_valid(email) is valid


def test_missing_column_is_a_file_error():
    with pytest.raises(FileError):
        from csat.importing import validate_rows

        validate_rows(org=None, table=read_table(filename="x.csv", data=b"email\nx@y.example\n"))


def test_contacts_added_since_the_preview_stop_the_whole_import(org_a, alice):
    imp = _preview(org_a, alice, HEADER + "Ana,K,ana@c.example,AW,en,yes\nBo,L,bo@c.example,AW,de,no\n")
    assert imp.errors == []
    make_contact(org_a, "BO@c.example")
    with pytest.raises(DomainError, match="bo@c.example"):
        import_commit(imp=imp, actor=alice)
    assert list(Contact.objects.filter(org=org_a).values_list("email", flat=True)) == ["BO@c.example"]
    imp.refresh_from_db()
    assert imp.status == ContactImport.Status.PREVIEW


def test_imported_contacts_keep_the_files_order_and_organisation_keys(org_a, alice):
    imp = _preview(org_a, alice, HEADER + "Ana,K,ana@c.example,Contoso Ltd.,en,yes\nBo,L,bo@c.example,CONTOSO,de,no\n")
    assert import_commit(imp=imp, actor=alice) == 2
    rows = list(Contact.objects.filter(org=org_a).order_by("id").values_list("email", "customer_org_key", "consent"))
    assert rows == [("ana@c.example", "contoso", True), ("bo@c.example", "contoso", False)]
    imp.refresh_from_db()
    assert imp.status == ContactImport.Status.COMMITTED and imp.rows == []


def test_commit_twice_is_refused(org_a, alice):
    imp = _preview(org_a, alice, HEADER + "Ana,K,ana@c.example,AW,en,yes\n")
    import_commit(imp=imp, actor=alice)
    with pytest.raises(DomainError):
        import_commit(imp=imp, actor=alice)
    assert Contact.objects.count() == 1


def test_large_upload_validates_with_few_queries(org_a, alice, django_assert_max_num_queries):
    rows = "".join(f"N{i},S{i},p{i}@c.example,Org {i % 50},en,yes\n" for i in range(5000))
    with django_assert_max_num_queries(4):
        imp = _preview(org_a, alice, HEADER + rows)
    assert imp.errors == [] and len(imp.rows) == 5000
    with django_assert_max_num_queries(8):
        import_commit(imp=imp, actor=alice)
    assert Contact.objects.filter(org=org_a).count() == 5000


def test_upload_view_previews_then_commits(alice_client, org_a):
    f = SimpleUploadedFile("c.csv", (HEADER + "Ana,K,ana@c.example,AW,en,yes\n").encode())
    r = alice_client.post("/csat/invite/upload/", {"file": f})
    imp = ContactImport.objects.get()
    assert r.url == f"/csat/invite/uploads/{imp.pk}/"
    assert "ana@c.example" in alice_client.get(r.url).content.decode()
    alice_client.post(r.url, {"action": "commit"})
    assert Contact.objects.filter(org=org_a, email="ana@c.example").exists()


def test_import_detail_checks_ownership(charlie_client, org_a, alice):
    imp = _preview(org_a, alice, HEADER + "Ana,K,ana@c.example,AW,en,yes\n")
    assert charlie_client.get(f"/csat/invite/uploads/{imp.pk}/").status_code == 404
    assert charlie_client.post(f"/csat/invite/uploads/{imp.pk}/", {"action": "commit"}).status_code == 404
    assert not Contact.objects.exists()


def test_import_detail_requires_role(bob_client, org_a, alice):
    imp = _preview(org_a, alice, HEADER + "Ana,K,ana@c.example,AW,en,yes\n")
    assert bob_client.get(f"/csat/invite/uploads/{imp.pk}/").status_code == 403


def test_template_downloads(alice_client):
    assert alice_client.get("/csat/invite/template.csv").content.startswith("\ufefffirst_name".encode())
    assert alice_client.get("/csat/invite/template.xlsx").status_code == 200
