"""The life cycle both emulators share: a threaded HTTP server on loopback, on a free port
unless one is given, serving the emulator's request handler class."""
import threading
from http.server import ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class LoopbackServer:
    host = "127.0.0.1"
    port = 0
    _server = None
    _thread = None

    def handler_class(self):
        """The request handler class; the started server uses a subclass bound to this emulator."""
        raise NotImplementedError

    def start(self):
        handler = type("Handler", (self.handler_class(),), {"emulator": self})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"
