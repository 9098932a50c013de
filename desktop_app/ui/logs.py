"""Logging to a rotating file in the per-user log folder; tracebacks go there, never to users."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs

LOGGER_NAME = "jobdesk"
_log_file: Path | None = None


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("JobDesk", appauthor=False))


def log_file() -> Path:
    """Where the log is (or will be) written."""
    return _log_file or log_dir() / "jobdesk.log"


def configure_logging(directory: Path | None = None, level: int = logging.INFO) -> Path:
    """Send the ``jobdesk`` logger to ``jobdesk.log`` (1 MB × 5 files). Idempotent."""
    global _log_file
    folder = directory or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "jobdesk.log"
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            logger.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    _log_file = path
    return path


def logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
