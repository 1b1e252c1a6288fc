"""``python -m warmline.demo.backoffice``: serve the reference back office with uvicorn."""

from __future__ import annotations

import argparse
import os

import uvicorn

from warmline.demo.backoffice.app import BackOfficeConfig, create_app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m warmline.demo.backoffice",
        description="Serve the warmline reference back office (airline + retail demo data).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (default 8765)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every data request")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of 500s, 0..1")
    parser.add_argument("--outage", action="store_true", help="answer 503 to all but /_admin")
    parser.add_argument("--seed", type=int, default=None, help="seed of the error-rate dice")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")
    parser.add_argument("--nats-url", default=None, help="publish stock changes to NATS JetStream")
    parser.add_argument(
        "--webhook-url",
        action="append",
        default=[],
        help="POST every stock change here (repeatable), signed with the webhook secret",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("BACKOFFICE_WEBHOOK_SECRET", ""),
        help="HMAC key of X-Stock-Signature (default: $BACKOFFICE_WEBHOOK_SECRET)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.webhook_url and not args.webhook_secret:
        raise SystemExit("--webhook-url needs --webhook-secret (or BACKOFFICE_WEBHOOK_SECRET)")
    config = BackOfficeConfig(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        outage=args.outage,
        seed=args.seed,
        nats_url=args.nats_url,
        webhook_urls=args.webhook_url,
        webhook_secret=args.webhook_secret,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
