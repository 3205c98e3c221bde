"""A slow network link in front of a real process, for fault tests: a TCP proxy on 127.0.0.1
that holds back each request whose first bytes contain `marker` for `delay` seconds, and passes
everything else straight through. The process behind it is the real one; only the link is slow."""

import asyncio
import threading


class SlowLink:
    def __init__(self, target_port: int, marker: bytes, delay: float) -> None:
        self.target_port, self.marker, self.delay = target_port, marker, delay
        self.port = 0
        self._loop = asyncio.new_event_loop()

    def start(self) -> "SlowLink":
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Drop every connection still held back, then stop."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _close(self) -> None:
        held = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]

    async def _connection(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(
            self._pipe(client_reader, server_writer, slow=True),
            self._pipe(server_reader, client_writer, slow=False),
            return_exceptions=True,
        )

    async def _pipe(self, reader, writer, slow: bool) -> None:
        try:
            while chunk := await reader.read(65536):
                if slow and self.marker in chunk:
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()
