import pytest
from django.template import Context, Template
from django.urls import reverse


@pytest.mark.parametrize("name", ["leads:lead_detail", "leads:lead_favourite", "support:request_detail"])
@pytest.mark.parametrize("pk", [1, 42, 9_876_543_211])
def test_pk_url_gives_what_reverse_gives(name, pk):
    rendered = Template("{% load portal %}{{ pk|pk_url:name }}").render(Context({"pk": pk, "name": name}))
    assert rendered == reverse(name, args=[pk])


def test_pk_url_refuses_what_is_not_a_pk():
    with pytest.raises(ValueError):
        Template("{% load portal %}{{ pk|pk_url:'leads:lead_detail' }}").render(Context({"pk": "1/../../admin"}))
