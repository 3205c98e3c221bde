"""The creditor's API, version 1: accounts in, payments in, events out, exports.

Authenticated with per-creditor API keys (`python -m api.cli create-api-key`); its OpenAPI
description is published at `/api/v1/openapi.json` whether or not the interactive docs are on.
"""

from functools import cache

from fastapi import APIRouter
from fastapi.openapi.utils import get_openapi

from api.v1 import accounts, events, exports, payments

router = APIRouter(prefix="/api/v1")
for module in (accounts, payments, events, exports):
    router.include_router(module.router)


@router.get("/openapi.json", include_in_schema=False)
async def openapi() -> dict:
    return _document()


@cache
def _document() -> dict:
    document = get_openapi(
        title="Concord creditor API", version="1", description=__doc__, routes=router.routes
    )
    document.setdefault("components", {})["securitySchemes"] = {
        "apiKey": {"type": "http", "scheme": "bearer"}
    }
    document["security"] = [{"apiKey": []}]
    return document
