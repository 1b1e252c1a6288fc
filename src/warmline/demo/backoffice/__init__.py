"""The reference back office: airline and retail mock systems behind a REST API.

Run it with ``python -m warmline.demo.backoffice --port 8765``; build it in-process with
``create_app(BackOfficeConfig(...))``. Data: tau-bench (MIT), shipped under ``data/``.
"""

from warmline.demo.backoffice.app import BackOfficeConfig, create_app

__all__ = ["BackOfficeConfig", "create_app"]
