"""Personal fields are marked, and the timeline never shows them."""

from __future__ import annotations

from domain import person_view, render_timeline
from domain.events import HandoverDeclined, PathwayClosed, WorkAspirationRecorded
from domain.personal import personal_fields
from tests.unit.domain.support import SECRET, full_route


def test_free_text_written_by_people_is_marked_personal() -> None:
    assert personal_fields(HandoverDeclined) == {"reason_text"}
    assert personal_fields(PathwayClosed) == {"person_view"}
    assert personal_fields(WorkAspirationRecorded) == {"text"}


def test_the_timeline_reads_as_a_route_without_personal_data() -> None:
    h = full_route()
    lines = render_timeline(h.events)
    assert len(lines) == len(h.events)
    assert not any(SECRET in line for line in lines)
    assert lines[0].startswith("2026-03-02 10:00 pathway opened under template nl v1")
    assert any("social org-hospital→org-gemeente requested by cw-1" in line for line in lines)
    assert any("first contact made by org-gemeente: responsibility moved" in line for line in lines)


def test_the_person_sees_their_tracks_shares_and_next_steps() -> None:

    h = full_route()
    view = person_view(h.state, h.template, h.now)
    assert view.status == "closed"
    assert {t.track for t in view.tracks} == {"clinical", "social", "employment", "income"}
    assert [s.basis.split(" ")[0] for s in view.shares] == ["consent"]
    assert SECRET not in view.model_dump_json()
