"""The Rasa project itself: valid training data, and conversations that go as the stories say."""

import re

from tests.rasa.conftest import rasa

# The form sends these itself, which Rasa's validator cannot see from stories and rules.
EXPECTED_WARNINGS = {
    f"The utterance '{response}' is not used in any story or rule."
    for response in [
        "utter_ask_account_reference",
        "utter_ask_date_of_birth",
        "utter_ask_frequency",
        "utter_ask_date",
        "utter_ask_hardship_option",
    ]
}


def test_training_data_and_domain_validate_cleanly():
    result = rasa("data", "validate")
    warnings = set(re.findall(r"UserWarning: (.*)", result.stdout + result.stderr))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert warnings - EXPECTED_WARNINGS == set()


def test_every_conversation_test_story_passes(trained_model, tmp_path):
    result = rasa(
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, f"conversations went differently from the stories:\n{details}"
