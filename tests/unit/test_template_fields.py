"""What a post template asks for (``drafts.template_fields``), read from the built-in templates."""

from __future__ import annotations

from drafts.rendering import TemplateLibrary
from drafts.template_fields import template_fields


def test_template_fields_are_read_from_the_template(library: TemplateLibrary) -> None:
    fields = {field.name: field for field in template_fields(library, "hiring")}
    assert list(fields)[:4] == ["position", "location", "deadline", "link"]
    assert fields["deadline"].kind == "date"
    assert fields["hashtags"].kind == "list"
    assert fields["summary"].kind == "prose"
    assert fields["position"].required is True
    assert fields["organisation"].required is False
    assert "space is tight" in fields["summary"].hint
    update = {field.name: field.kind for field in template_fields(library, "update")}
    assert update["points"] == "list"
    assert template_fields(library, "no-such-template") == ()
