"""Personal data kept out of the logs: a ``logging.Filter`` that masks every log record's
message, arguments and traceback, and the server's logging configuration that installs it on
every handler (so records that propagate from any logger pass through it)."""

from __future__ import annotations

import copy
import logging
from typing import Any

from warmline.privacy.pii import mask

_formatter = logging.Formatter()


def _masked_arg(value: Any) -> Any:
    return mask(value) if isinstance(value, str) else value


class MaskingFilter(logging.Filter):
    """Masks personal data in a record; never drops one. The arguments stay a tuple (or a
    mapping) of the same shape, for formatters that read them (uvicorn's access log does)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked_arg(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def server_log_config(base: dict[str, Any], level: str) -> dict[str, Any]:
    """``base`` (uvicorn's logging configuration) with the masking filter on every handler,
    and warmline's own loggers writing through the default handler at ``level``."""
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["mask_personal_data"] = {"()": MaskingFilter}
    for handler in config.get("handlers", {}).values():
        handler["filters"] = [*handler.get("filters", []), "mask_personal_data"]
    config.setdefault("loggers", {})["warmline"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def install(*loggers: str) -> MaskingFilter:
    """Add the masking filter to every handler of ``loggers`` (the root logger by default) and
    to the last-resort handler, for a process that configured its logging elsewhere."""
    found = MaskingFilter()
    for name in loggers or ("",):
        for handler in logging.getLogger(name or None).handlers:
            if not any(isinstance(f, MaskingFilter) for f in handler.filters):
                handler.addFilter(found)
    if logging.lastResort is not None and not any(
        isinstance(f, MaskingFilter) for f in logging.lastResort.filters
    ):
        logging.lastResort.addFilter(found)
    return found
