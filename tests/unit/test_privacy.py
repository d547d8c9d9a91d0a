from __future__ import annotations

import io
import logging

import pytest

from govauto.privacy import MaskingFilter, mask_id_numbers


@pytest.mark.parametrize(("text", "expected"), [
    ("110101199003071233", "110101********1233"),
    ("申请人110101199003071233已提交", "申请人110101********1233已提交"),
    ("id=44030519851201002X;", "id=440305********002X;"),
    ("44030519851201002x", "440305********002x"),
    ("ID110101199003071233", "ID110101********1233"),  # letters before it: still an ID number
    ("a 110101199003071233 and 440305198512010021.", "a 110101********1233 and 440305********0021."),
    ('{"id_number": "110101199003071233"}', '{"id_number": "110101********1233"}'),
])
def test_masks_every_id_number(text: str, expected: str) -> None:
    assert mask_id_numbers(text) == expected


@pytest.mark.parametrize("text", [
    "6222021101991003071233",      # a 22-digit bank card number contains 18 digits: not an ID number
    "1101011990030712334",         # 19 digits
    "11010119900307123",           # 17 digits
    "receipt GS-2024-000123",
    "job Ja110101199003071233 failed",  # a job id (J + 19 hex) whose hex has 18 digits in a row
    "task R6612515373d7c688baf",
    "",
])
def test_leaves_other_numbers_alone(text: str) -> None:
    assert mask_id_numbers(text) == text


def test_masking_filter_masks_message_args_and_exception() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("test.privacy.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("case of %s refused", "110101199003071233")
        try:
            raise ValueError("bad id 440305198512010021")
        except ValueError:
            logger.exception("failed for 44030519851201002X")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "110101********1233" in text and "110101199003071233" not in text
    assert "440305********002X" in text
    assert "bad id 440305********0021" in text and "440305198512010021" not in text
    assert "Traceback" in text
