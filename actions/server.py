"""The action server, closed by default: it listens only on CONCORD_INTERNAL_HOST
(loopback unless configured) and answers only callers that send the internal token, which Rasa does
(endpoints.yml). rasa_sdk's own command listens on every interface and asks nothing, so anyone
who could reach the port could run an action for any conversation.

Run: python -m actions.server --port 5055
"""

import argparse
from secrets import compare_digest

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, response

from bot.config import get_settings

OPEN_PATHS = {"/health"}  # for the supervisor's health check; it says nothing about anyone


def build_app(token: str):
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor)

    @app.on_request
    async def require_the_internal_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        if not compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
            return response.json({"error": "unauthorised"}, status=401)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    port = parser.parse_args().port
    settings = get_settings()
    build_app(settings.internal_token).run(
        host=settings.internal_host, port=port, single_process=True, access_log=False, motd=False
    )


if __name__ == "__main__":
    main()
