"""The sample creditor page at `/`, the embeddable widget, and the wording the widget shows."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from api.state import AppState, app_state

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"


@router.get("/", include_in_schema=False)
async def creditor_site() -> FileResponse:
    return FileResponse(STATIC / "creditor-site.html")


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    # Short caching: host pages pick up a new widget within minutes of a release.
    return FileResponse(
        STATIC / "widget.js", media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/widget/config")
async def widget_config(state: AppState = Depends(app_state)) -> dict[str, Any]:
    """The languages the widget offers, each by its own name, and its labels in each."""
    catalog = state.catalog
    codes = sorted(catalog.languages)
    return {
        "default_language": catalog.default_language,
        "languages": [{"code": code, "name": catalog.own_names[code]} for code in codes],
        "labels": {code: catalog.interface_labels(code) for code in codes},
    }
