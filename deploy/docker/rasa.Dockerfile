# Concord's Python 3.10 runtime for Rasa 3.6 (NLU and dialogue), with the trained model inside.
#
# Build it after `make train`: it copies models/concord.tar.gz, which `make train` writes.
# The build context is the repository root:
#   make train && docker build -f deploy/docker/rasa.Dockerfile -t concord-rasa .
# What is sent to the daemon is trimmed by rasa.Dockerfile.dockerignore beside this file (BuildKit
# reads <Dockerfile>.dockerignore).
FROM python:3.10-slim

# HOME=/tmp: Rasa writes its global config (~/.config/rasa) and matplotlib its cache under HOME;
# the containers run with a read-only root filesystem and a writable /tmp.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    HOME=/tmp

WORKDIR /app

# Dependencies first, so a new model or component does not reinstall them.
COPY requirements/rasa.txt requirements/rasa.txt
RUN pip install --no-cache-dir pip==24.3.1 \
    && pip install --no-cache-dir -r requirements/rasa.txt

# The custom components and the server wrapper, the endpoints for several replicas (shared
# tracker store and Redis lock store), the one channel, and the model.
COPY concord_nlu/ concord_nlu/
COPY endpoints-shared.yml credentials.yml ./
COPY models/concord.tar.gz models/concord.tar.gz

RUN python -m compileall -q concord_nlu

# A numeric user, so Kubernetes' runAsNonRoot can check it.
RUN groupadd --gid 10001 rasa \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin rasa
USER 10001:10001

EXPOSE 5005
# Shell form so that $CONCORD_RASA_TOKEN expands; `exec` makes Rasa PID 1, so it gets SIGTERM.
CMD exec python -m concord_nlu.rasa_server run --enable-api --auth-token "$CONCORD_RASA_TOKEN" -i 0.0.0.0 --port 5005 --endpoints endpoints-shared.yml --credentials credentials.yml --model models
