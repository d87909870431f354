"""Rule files: a JSON file validated by a pydantic model, or one RulesError naming the file and each bad entry."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from pydantic import Field, ValidationInfo, field_validator

from ihospital.core.rulefiles import RuleModel, RulesError, load_rules


# A small stand-in for the prescription rules to come: one model, nested, with a constrained list.
class MaxDose(RuleModel):
    drug: str
    mg_per_day: Annotated[int, Field(ge=1)]

    @field_validator("drug")
    @classmethod
    def _in_catalogue(cls, drug: str, info: ValidationInfo) -> str:
        catalogue = (info.context or {}).get("catalogue")
        if catalogue is not None and drug not in catalogue:
            raise ValueError(f"drug {drug!r} is not in the catalogue")
        return drug


class DoseRules(RuleModel):
    about: str = ""
    max_doses: Annotated[list[MaxDose], Field(min_length=1)]


def write(tmp_path, content, name="rules.json"):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def refusal(path, model=DoseRules, **kwargs) -> RulesError:
    with pytest.raises(RulesError) as caught:
        load_rules(path, model, **kwargs)
    return caught.value


def test_a_valid_file_comes_back_as_the_model(tmp_path):
    path = write(tmp_path, {"max_doses": [{"drug": "amoxicillin", "mg_per_day": 3000}]})
    rules = load_rules(path, DoseRules)
    assert rules == DoseRules(max_doses=[MaxDose(drug="amoxicillin", mg_per_day=3000)])


def test_the_error_names_the_file_and_the_json_path_and_is_a_value_error(tmp_path):
    path = write(tmp_path, {"max_doses": [{"drug": "a", "mg_per_day": 1}, {"drug": "b", "mg_per_day": 0}]})
    error = refusal(path)
    assert isinstance(error, ValueError)
    assert error.path == path
    assert error.problems == (("max_doses[1].mg_per_day", "Input should be greater than or equal to 1 (got 0)"),)
    assert str(error) == f"{path}: max_doses[1].mg_per_day: Input should be greater than or equal to 1 (got 0)"


@pytest.mark.parametrize("value", ["3000", 3000.0, True, None])
def test_types_are_strict(tmp_path, value):
    error = refusal(write(tmp_path, {"max_doses": [{"drug": "a", "mg_per_day": value}]}))
    [(where, what)] = error.problems
    assert where == "max_doses[0].mg_per_day"
    assert f"(got {json.dumps(value)})" in what


def test_unknown_and_missing_keys_are_named_together_per_object(tmp_path):
    path = write(tmp_path, {"max_doses": [{"dose": 1, "unit": "mg"}], "colour": "red"})
    assert refusal(path).problems == (
        ("max_doses[0]", "missing keys ['drug', 'mg_per_day']"),
        ("max_doses[0]", "unknown keys ['dose', 'unit']"),
        ("", "unknown keys ['colour']"),
    )


def test_every_bad_entry_is_reported_at_once(tmp_path):
    path = write(tmp_path, {"max_doses": [{"drug": 1, "mg_per_day": 1}, {"drug": "b", "mg_per_day": "x"}]})
    assert [where for where, _what in refusal(path).problems] == ["max_doses[0].drug", "max_doses[1].mg_per_day"]


def test_empty_lists_and_a_wrong_shape_read_as_sentences(tmp_path):
    assert str(refusal(write(tmp_path, {"max_doses": []}))).endswith(": max_doses must be a non-empty list")
    assert str(refusal(write(tmp_path, {"max_doses": {}}))).endswith(": max_doses must be a list (got {})")
    assert str(refusal(write(tmp_path, "[]"))).endswith(": the top level must be an object (got [])")


def test_the_context_reaches_the_models_validators(tmp_path):
    path = write(tmp_path, {"max_doses": [{"drug": "aspirin", "mg_per_day": 4000}]})
    assert load_rules(path, DoseRules).max_doses[0].drug == "aspirin"
    error = refusal(path, context={"catalogue": {"amoxicillin"}})
    assert error.problems == (("max_doses[0].drug", "drug 'aspirin' is not in the catalogue"),)


def test_a_key_repeated_in_one_object_is_refused_with_its_path(tmp_path):
    # json.loads would keep the second value silently; a rule file with both is ambiguous.
    path = write(tmp_path, '{"max_doses": [{"drug": "a", "mg_per_day": 1, "mg_per_day": 2}]}')
    assert refusal(path).problems == (("max_doses[0]", "duplicate keys ['mg_per_day']"),)


def test_broken_json_an_unreadable_file_and_other_encodings_are_refused(tmp_path):
    assert "not valid JSON: Expecting value: line 1 column 15" in str(refusal(write(tmp_path, '{"max_doses": ')))
    assert (
        str(refusal(tmp_path / "missing.json"))
        == f"{tmp_path / 'missing.json'}: cannot be read: No such file or directory"
    )
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes('{"about": "导诊"}'.encode("gbk"))
    assert "not UTF-8" in str(refusal(gbk))
