import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from contacts.models import ContactReason
from contacts.taxonomy import dump_csv, dump_json, export_rows, get_tree

from .conftest import reason_at

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "contact_reasons.json"

LEVEL_1 = [
    "Disconnect/Hung-up",
    "Event Management",
    "Feedback",
    "Inbound Campaign",
    "Order Management",
    "Post-Sales Inquiry",
    "Pre Sales Inquiry",
    "Program",
    "Sales Lead",
    "Subscription",
]


def test_the_whole_appendix_is_loaded(db):
    assert ContactReason.objects.count() == len(json.loads(DATA_FILE.read_text())) == 227
    roots = ContactReason.objects.filter(level=1).order_by("order")
    assert [r.label_en for r in roots] == LEVEL_1
    assert ContactReason.objects.filter(level=3).count() == 159
    # Empty rows of the seed's table are not nodes.
    assert not ContactReason.objects.filter(label_en="").exists()


@pytest.mark.parametrize(
    "path, label_ru, definition_start",
    [
        (("Disconnect/Hung-up", "Wrong Number"), "Неправильно набран номер", "Клиент ошибся номером"),
        (("Feedback", "Complaint"), "Жалоба", "Клиент связался с MS с целью выразить свое негодование"),
        (("Event Management", "Modify"), "Изменение", "Клиент зарегистрировался на мероприятие"),
        (("Post-Sales Inquiry", "Product Key/PID", "Lost"), "Утеря ключа", ""),
        (("Post-Sales Inquiry", "Technical support-New Issue", "Virtualization"), "Виртуализация", ""),
        (("Post-Sales Inquiry", "Piracy"), "Пиратство", "Клиент связался с MS с целью сообщить о случаях пиратства"),
        (
            ("Pre Sales Inquiry", "License", "SA Information"),
            "Информация о Software Assurance",
            "Клиента интересует информация о программе Software Assurance",
        ),
        (("Pre Sales Inquiry", "License", "Consumption Report"), "", "Запрос клиента об использовании лицензий"),
        (
            ("Pre Sales Inquiry", "Product", "Patches & Service Packs"),
            "Патчи и пакеты обновлений",
            "Клиента интересует информация о существующих",
        ),
        (("Program", "Technet Premium", "Membership query"), "Запрос партнера", ""),
        (("Sales Lead",), "Заведение лида", "Клиент заинтересован в покупке продуктов MS"),
        (("Subscription", "Renewal", "Refund request/Status"), "Запрос на возврат/Статус запроса", ""),
        (
            ("Subscription", "Fulfilment- welcome Kit", "Initiate welcome Kit Shipment"),
            "Инициализация комплекта, входящего в поставку",
            "",
        ),
        (("Subscription", "Subscriber Benefits -MSPP", "Visual Studio/MSDN"), "", ""),
    ],
)
def test_spot_checks_against_the_seed(db, path, label_ru, definition_start):
    reason = reason_at(*path)
    assert reason.level == len(path)
    assert reason.label_ru == label_ru
    assert reason.definition_ru.startswith(definition_start)
    assert bool(reason.definition_en) == bool(reason.definition_ru)


def test_definitions_have_english_translations(db):
    assert reason_at("Feedback", "Praise").definition_en.startswith(
        "The customer contacted MS to express their admiration"
    )
    assert not ContactReason.objects.exclude(definition_ru="").filter(definition_en="").exists()


def test_account_management_is_a_grouping_not_a_child(db):
    grouped = set(ContactReason.objects.filter(grouping="account_management").values_list("label_en", flat=True))
    assert grouped == {
        "Event Management",
        "Inbound Campaign",
        "Order Management",
        "Post-Sales Inquiry",
        "Pre Sales Inquiry",
    }
    assert not ContactReason.objects.filter(label_en__icontains="account management").exists()


def test_typos_are_fixed_and_the_original_kept(db):
    tech = reason_at("Post-Sales Inquiry", "Technical support-Continuing Issue")
    assert tech.label_en_original == "Techical support-Contituing Issue"
    competencies = reason_at("Subscription", "Competencies")
    # The seed spells it with a Cyrillic "С".
    assert competencies.label_en_original == "\u0421ompetencies"
    assert (
        reason_at("Subscription", "Competencies", "Small business specialist").label_en_original
        == "Small bussines specialist"
    )
    assert reason_at("Post-Sales Inquiry", "Website").label_en_original == ""
    # Every English label is Latin script after the fixes.
    for label in ContactReason.objects.values_list("label_en", flat=True):
        assert not any("\u0400" <= ch <= "\u04ff" for ch in label), label


def test_export_of_a_fresh_database_is_the_data_file(db):
    assert dump_json(export_rows()) == DATA_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_import_round_trips_exactly(db, tmp_path, fmt, capsys):
    lost = reason_at("Post-Sales Inquiry", "Product Key/PID", "Lost")
    lost.definition_en = 'The customer lost the key, "again", and needs, well, help'
    lost.is_active = False
    lost.save()
    target = tmp_path / f"reasons.{fmt}"
    call_command("export_contact_reasons", "--format", fmt, "--output", str(target))
    before = target.read_text(encoding="utf-8")
    # Wipe the details, import, and the export is identical again.
    ContactReason.objects.update(definition_en="", label_ru="", is_active=True, order=0)
    call_command("import_contact_reasons", str(target))
    again = dump_json(export_rows()) if fmt == "json" else dump_csv(export_rows())
    assert again == before
    assert "0 created, 227 updated" in capsys.readouterr().out


def test_import_adds_new_reasons(db, tmp_path):
    rows = [
        {
            "path": ["Feedback", "Accessibility"],
            "level": 2,
            "label_ru": "Доступность",
            "grouping": "",
            "order": 4,
            "active": True,
        },
        {"path": ["Feedback", "Accessibility", "Screen reader"], "level": 3, "order": 1, "active": "true"},
    ]
    target = tmp_path / "new.json"
    target.write_text(dump_json(rows))
    call_command("import_contact_reasons", str(target))
    assert reason_at("Feedback", "Accessibility", "Screen reader").level == 3


def test_a_bad_import_changes_nothing_and_names_each_line(db, tmp_path, capsys):
    snapshot = dump_json(export_rows())
    csv_text = (
        "path,level,label_en_original,label_ru,definition_ru,definition_en,grouping,order,active\n"
        "Feedback › Complaint,2,,Жалоба!,,,,1,true\n"  # fine on its own
        "Nowhere › Child,2,,,,,,1,true\n"  # unknown parent
        "Feedback › Praise,2,,,,,,2,true\n"
        "Feedback › Praise,2,,,,,,3,true\n"  # duplicate path
        "Sales Lead › A › B › C,4,,,,,,1,true\n"  # level over 3
        "Feedback › Suggestion,2,,,,,sometimes,1,maybe\n"  # bad grouping, bad active
    )
    target = tmp_path / "bad.csv"
    target.write_text(csv_text, encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_contact_reasons", str(target))
    err = capsys.readouterr().err
    assert "line 3: unknown parent 'Nowhere'" in err
    assert "line 5: duplicate path 'Feedback › Praise' (first on line 4)" in err
    assert "line 6: level 4 is over 3" in err
    assert "line 7: unknown grouping 'sometimes'" in err
    assert "line 7: active must be true or false" in err
    assert dump_json(export_rows()) == snapshot
    assert reason_at("Feedback", "Complaint").label_ru == "Жалоба"


def test_malformed_json_is_reported_with_its_line(db, tmp_path, capsys):
    target = tmp_path / "broken.json"
    target.write_text('[\n{"path": ["Feedback"], "level": 1},\n{"path": \n]')
    with pytest.raises(CommandError):
        call_command("import_contact_reasons", str(target))
    assert "line 4: not valid JSON" in capsys.readouterr().err


def test_search_finds_lost_product_key_first(db, django_assert_max_num_queries):
    tree = get_tree()
    results = tree.search("lost")
    assert results[0].path == ("Post-Sales Inquiry", "Product Key/PID", "Lost")
    assert tree.search("утеря")[0].path[-1] == "Lost"
    assert tree.search("refund status")[0].path[-1] == "Refund request/Status"
    # Definitions are searched too.
    assert any(n.path == ("Disconnect/Hung-up", "Wrong Number") for n in tree.search("wrong number"))
    with django_assert_max_num_queries(1):
        get_tree().search("activation")


def test_retired_reasons_leave_the_picker_but_keep_their_row(db, agent):
    from contacts.services import contact_reason_retire

    key = reason_at("Post-Sales Inquiry", "Product Key/PID")
    contact_reason_retire(actor=agent, reason=key)
    tree = get_tree()
    assert not any(n.path[:2] == ("Post-Sales Inquiry", "Product Key/PID") for n in tree.search("lost"))
    assert ContactReason.objects.filter(pk=key.pk, is_active=False).exists()
    assert not tree.get(reason_at("Post-Sales Inquiry", "Product Key/PID", "Lost").pk).selectable
