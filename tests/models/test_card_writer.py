"""ModelCard is the one writer of model cards: what it reads it writes back unchanged."""

import json
from importlib import resources
from pathlib import Path

import pytest

from eels_autoid.models import ModelCard

WEIGHTS = Path(str(resources.files("eels_autoid").joinpath("weights")))


@pytest.mark.parametrize("card", sorted(p.name for p in WEIGHTS.glob("*.json")))
def test_a_shipped_card_is_written_back_as_it_is(card, tmp_path):
    text = (WEIGHTS / card).read_text()
    ModelCard.read(WEIGHTS / card).save(tmp_path / card)
    # Same fields, values and layout: a card written again diffs only where it changed.
    assert (tmp_path / card).read_text() == text.rstrip("\n") + "\n"


def test_a_card_is_strict_json_and_replaced_in_one_step(tmp_path):
    path = tmp_path / "m.json"
    card = ModelCard(name="m", members=["m.keras"], info={"metrics": {"f1": float("nan")}})
    card.specialists = [{"name": "s", "members": ["s.keras"], "elements": ["La"], "regions": []}]
    card.save(path)
    written = json.loads(path.read_text(), parse_constant=pytest.fail)
    assert written["metrics"]["f1"] is None
    assert list(written)[-1] == "specialists"
    assert ModelCard.read(path).specialists == card.specialists

    # A card that cannot be written leaves the file it was to replace as it was.
    before = path.read_text()
    with pytest.raises(TypeError):
        ModelCard(name="m", info={"metrics": {"f1": object()}}).save(path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_reading_a_card_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"threshold": 2}')
    with pytest.raises(ValueError, match="broken.json.*threshold"):
        ModelCard.read(path)
