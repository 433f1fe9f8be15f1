"""Every event the SMK application writes to a case's timeline has its own words, in Indonesian and English
(never the neutral "Process event", never the code)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from processes import assessment_results, follow_up_results, operations
from webapp.instances import event_label

SMK_EVENTS = [assessment_results.RESULT, follow_up_results.RESULT, operations.PROPOSAL, operations.CALIBRATION,
              operations.FITS, operations.UNIT_RATING, operations.REMINDER, "message.kept", "message.delivered",
              "deferred_start.written", "deferred_start.failed", "deferred_start.retried"]


@pytest.mark.parametrize("lang, neutral", [("id", "Peristiwa proses"), ("en", "Process event")])
def test_each_smk_event_is_named_in_both_languages(app: Flask, lang: str, neutral: str) -> None:
    with app.test_request_context(), force_locale(lang):
        labels = {kind: event_label(kind) for kind in SMK_EVENTS}
        assert event_label("smk.not_an_event") == neutral  # what an unnamed event shows
    unnamed = [kind for kind, label in labels.items() if label in (neutral, kind)]
    assert unnamed == []
    assert len(set(labels.values())) == len(SMK_EVENTS)  # no two events read the same
