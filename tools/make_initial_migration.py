"""Regenerate the initial migration from the models (only while no release has shipped).

Once JobDesk ships, schema changes get a new revision (``alembic revision --autogenerate``)
instead; this script exists because the schema is still being laid down.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from desktop_app.db.engine import create_db_engine
from desktop_app.db.migrate import MIGRATIONS, alembic_config


def main() -> None:
    for old in (MIGRATIONS / "versions").glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'empty.sqlite'}")
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
        engine.dispose()
    print("wrote", next((MIGRATIONS / "versions").glob("0001_*.py")))


if __name__ == "__main__":
    main()
