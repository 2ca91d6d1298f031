from django.conf import settings
from django.core.management.base import BaseCommand

WORKERS_KILL_SECONDS = 10


class Command(BaseCommand):
    help = "Run the production web server (granian, WSGI) on the current settings."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.SERVE_HOST)
        parser.add_argument("--port", type=int, default=settings.SERVE_PORT)
        parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)
        parser.add_argument("--threads", type=int, default=settings.SERVE_THREADS)

    def handle(self, *args, host, port, workers, threads, **options):
        from granian import Granian
        from granian.constants import Interfaces

        self.stdout.write(
            f"守望 serving at http://{host}:{port}/ ({workers} workers × {threads} threads)"
        )
        Granian(
            target="shouwang.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            # No `backpressure`: in granian it caps the connections a worker holds
            # (not the requests in progress), and browsers keep theirs open between
            # pages — capped at the threads, the 17th village worker waited forever
            # (bench/load.py). The threads bound the requests Python runs at once.
            # A worker can hang on Ctrl+C (granian's signal handler sets an Event
            # the interrupted thread is waiting on): kill it after this long.
            workers_kill_timeout=WORKERS_KILL_SECONDS,
        ).serve()
