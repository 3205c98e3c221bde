# Concord's Python 3.11 runtime: one image for the api, the background worker, the action server
# and the one-off CLI jobs (migrations). The Kubernetes manifests pick the process by `command`.
#
# The build context is the repository root:
#   docker build -f deploy/docker/app.Dockerfile -t concord-app .
# What is sent to the daemon is trimmed by app.Dockerfile.dockerignore beside this file (BuildKit
# reads <Dockerfile>.dockerignore; nothing is copied that is not named below anyway).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them (the same pip as the Makefile).
COPY requirements/app.txt requirements/app.txt
RUN pip install --no-cache-dir pip==24.3.1 \
    && pip install --no-cache-dir -r requirements/app.txt

# What the processes read at run time, and nothing else (no tests, bench, .env or secrets):
# alembic.ini + bot/db/migrations (python -m api.cli migrate), creditor.yml (the creditor's
# policy), locales/ (every sentence), data/nlu, data/sentiment and data/vulnerability (the api's
# language, sentiment and vulnerability classifiers are trained from them at start:
# bot/understanding/), api/static (the widget, console and sample page).
COPY alembic.ini creditor.yml ./
COPY locales/ locales/
COPY data/nlu/ data/nlu/
COPY data/sentiment/ data/sentiment/
COPY data/vulnerability/ data/vulnerability/
COPY bot/ bot/
COPY actions/ actions/
COPY api/ api/

# Compiled now: the containers run with a read-only root filesystem and could not write them.
RUN python -m compileall -q api bot actions

# A numeric user, so Kubernetes' runAsNonRoot can check it.
RUN groupadd --gid 10001 concord \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin concord
USER 10001:10001

EXPOSE 8000
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]
