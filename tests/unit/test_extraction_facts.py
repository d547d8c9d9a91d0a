"""How read values become facts: trusted, confirmed by the declaration, disputed, or sent to a person."""

from __future__ import annotations

from govauto.extract.facts import extraction_facts
from govauto.extract.model import Field, Source
from govauto.extract.pipeline import Extraction

CONFIRM = {"id_card_front.name": "applicant.name", "id_card_front.id_number": "applicant.id_number"}
DECLARED = {"applicant.name": "张三", "applicant.id_number": "110101199003071233"}


def _card(name: str, name_conf: float, number: str, number_conf: float, engine: str = "rapidocr",
          valid: bool | None = True) -> Extraction:
    src = Source("id.jpg", 1, (1.0, 2.0, 3.0, 4.0), engine)
    return Extraction("id.jpg", "id_card", doc_type="id_card_front",
                      fields={"name": Field(name, name_conf, src), "id_number": Field(number, number_conf, src, "",
                                                                                       valid)},
                      thresholds={"name": 0.85, "id_number": 0.8})


def test_confident_agreeing_values_are_used() -> None:
    facts = extraction_facts([_card("张三", 0.99, "110101199003071233", 0.95)], DECLARED, CONFIRM)
    assert facts["extracted.id_card_front.name"] == "张三" and facts["extraction.low_confidence"] == []


def test_low_confidence_value_equal_to_the_declaration_is_confirmed() -> None:
    facts = extraction_facts([_card("张三", 0.5, "110101199003071233", 0.5)], DECLARED, CONFIRM)
    assert facts["extracted.id_card_front.name"] == "张三" and facts["extraction.low_confidence"] == []


def test_ocr_name_that_disagrees_is_disputed_not_used() -> None:
    facts = extraction_facts([_card("张二", 0.99, "110101199003071233", 0.95)], DECLARED, CONFIRM)
    assert facts["extracted.id_card_front.name"] is None
    (item,) = facts["extraction.low_confidence"]
    assert item["field"] == "name" and item["value"] == "张二" and item["declared"] == "张三"
    assert item["file"] == "id.jpg" and "与申报不一致" in item["reason"]


def test_text_layer_name_that_disagrees_is_a_mismatch() -> None:
    facts = extraction_facts([_card("李四", 1.0, "110101199003071233", 1.0, engine="pdf-text")], DECLARED, CONFIRM)
    assert facts["extracted.id_card_front.name"] == "李四" and facts["extraction.low_confidence"] == []


def test_check_digit_backed_number_that_disagrees_is_a_mismatch_and_invalid_one_is_not_used() -> None:
    facts = extraction_facts([_card("张三", 0.99, "440305198703154222", 0.95)], DECLARED, CONFIRM)
    assert facts["extracted.id_card_front.id_number"] == "440305198703154222"
    facts = extraction_facts([_card("张三", 0.99, "110101199003071234", 0.95, valid=False)], DECLARED, CONFIRM)
    assert facts["extracted.id_card_front.id_number"] is None
    assert [i["field"] for i in facts["extraction.low_confidence"]] == ["id_number"]
