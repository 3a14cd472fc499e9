"""A fake Looker API 4.0 server on 127.0.0.1, for tests and the crawl benchmark.

Real HTTP (``http.server.ThreadingHTTPServer`` in a thread), talked to by the real looker-sdk;
serves a ``FakeData`` (see ``dataset``) and injects latency and faults (see ``server.Fault``).
"""

from .dataset import FakeData, example_dataset, generated_dataset
from .server import FakeLooker, Fault

__all__ = ["FakeData", "FakeLooker", "Fault", "example_dataset", "generated_dataset"]
