"""What a post template asks for (``drafts.template_fields``), read from the built-in templates."""

from __future__ import annotations

from drafts.rendering import TemplateLibrary
from drafts.template_fields import FieldDoc, TemplateField, template_fields


def test_template_fields_are_read_from_the_template(library: TemplateLibrary) -> None:
    fields = {field.name: field for field in template_fields(library, "hiring")}
    assert list(fields)[:4] == ["position", "location", "deadline", "link"]
    assert fields["deadline"].kind == "date"
    assert fields["hashtags"].kind == "list"
    assert fields["summary"].kind == "prose"
    assert fields["position"].required is True
    assert fields["organisation"].required is False
    assert "space is tight" in fields["summary"].doc("en").hint


def test_each_language_labels_the_fields_in_its_own_words(library: TemplateLibrary) -> None:
    """A form shows a field's label and hint in its reader's language where the template's file
    in that language gives them (``position (직책)``), else in the first that does, else the
    field's name."""
    position = {field.name: field for field in template_fields(library, "hiring")}["position"]
    assert position.doc("en") == FieldDoc(
        "Position", 'the role\'s title, e.g. "Operations Officer"'
    )
    assert position.doc("ko").label == "직책"
    assert position.doc("ko-KR").label == "직책"
    assert position.doc("fr").label == "Position"
    points = {field.name: field for field in template_fields(library, "update")}["points"]
    assert points.doc("ko").hint.endswith("공간이 좁은 x와 bluesky에서는 빠집니다")
    assert TemplateField("start_date", "date", None).doc("ko") == FieldDoc("Start date", "")
    update = {field.name: field.kind for field in template_fields(library, "update")}
    assert update["points"] == "list"
    assert template_fields(library, "no-such-template") == ()
