import pytest

from submissions.models import State
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


def test_factory_traits():
    draft = DossierFactory()
    assert draft.state == State.DRAFT and draft.files.count() == 0
    complete = DossierFactory(complete=True)
    assert complete.files.count() == 1 and complete.answers == {"full_name": "Nguyễn Văn A"}
    submitted = DossierFactory(submitted=True)
    assert submitted.state == State.SUBMITTED
    assert submitted.code.startswith(submitted.agency.code + "-")
    assert submitted.events.get().to_state == State.SUBMITTED
