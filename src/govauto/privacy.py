"""Keeping personal data out of what govauto prints and logs.

Job payloads, robot error messages and legacy systems' pages carry resident ID numbers (居民身份证号码). Every line
the job CLI prints and every log line the job runner writes goes through :func:`mask_id_numbers`; install
:class:`MaskingFilter` on a logging handler to do the same for every other log record::

    handler = logging.StreamHandler()
    handler.addFilter(MaskingFilter())
"""

from __future__ import annotations

import logging
import re

__all__ = ["ID_NUMBER_MASK", "MaskingFilter", "mask_id_numbers"]

# 18 characters: 17 digits and a digit or X check character, not inside a longer run of digits (a bank card
# number or a long reference is not an ID number, and masking a slice of it would garble it).
_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_OUR_ID_OR_ID_NUMBER = re.compile(
    r"(?P<ours>(?<![0-9A-Za-z])[A-Z]{1,3}[0-9a-f]{19}(?![0-9A-Za-z]))"  # a job or task id: J + 19 hex (new_id)
    r"|" + _ID_NUMBER.pattern)

ID_NUMBER_MASK = "********"
"""What replaces the 8 middle characters (the birth date) of an ID number."""


def mask_id_numbers(text: str) -> str:
    """Mask every resident ID number in ``text``: its first 6 and last 4 characters are kept.

    >>> mask_id_numbers("申请人 110101199003071233 已提交")
    '申请人 110101********1233 已提交'

    govauto's own ids (``J66125153770790123456``: letters and 19 lower-case hex digits) are left alone even when
    18 of their digits run together.
    """
    return _OUR_ID_OR_ID_NUMBER.sub(
        lambda m: m.group("ours") or m.group(2) + ID_NUMBER_MASK + m.group(3), text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks ID numbers in a record's message, its exception text and its stack.

    It never drops a record. Add it to a handler (it then applies to records from every logger that reaches the
    handler) rather than to a logger (where it would only see that logger's own records).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_id_numbers(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_id_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_id_numbers(record.stack_info)
        return True
