"""The Celery app of govauto's workers, configured from the environment: ``celery -A govauto.jobs.celery_app worker``.

::

    export GOVAUTO_BROKER_URL=redis://redis.example:6379/0
    export GOVAUTO_DATABASE_URL=postgresql+psycopg://govauto:…@db.example/govauto
    celery -A govauto.jobs.celery_app worker --concurrency 2 --queues robots,extraction

Every setting is an environment variable (see :meth:`govauto.jobs.celery_runner.CeleryConfig.from_env`); the
worker runs the dispatcher in its main process unless ``GOVAUTO_DISPATCH=0``. ``govauto worker --runner celery``
starts the same worker with command-line options instead.
"""

from __future__ import annotations

from govauto.jobs.celery_runner import CeleryConfig, create_app

__all__ = ["app"]

app = create_app(CeleryConfig.from_env())
