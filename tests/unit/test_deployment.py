"""The deployment for more than one machine (deploy/), checked offline: the Kubernetes manifests
against Kubernetes' own schemas and against the code they start, and the two Dockerfiles against
the repository and the Makefile. Nothing is built or applied."""

import ast
import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from cryptography.fernet import Fernet
from kubernetes_validate import SchemaNotFoundError, ValidationError
from kubernetes_validate.utils import all_versions, major_minor

from bot.config import ROOT, Settings

K8S = ROOT / "deploy" / "k8s"
DOCKER = ROOT / "deploy" / "docker"
# The Kubernetes version the manifests are written for; one whose schemas kubernetes-validate ships.
KUBERNETES_VERSION = "1.31"
NAMESPACE = "concord"
SECRET_NAME = "concord-secrets"
EXAMPLE_SECRET = "secret.example.yaml"
# Official images, for trying Concord out: their probes are their own (pg_isready, redis-cli).
TRYING_OUT = {"postgres", "redis"}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
# What each Deployment's container is probed with: (probe, kind, HTTP path or None, port).
PROBES = {
    "api": {
        ("startupProbe", "tcpSocket", None, 8000),
        ("readinessProbe", "httpGet", "/readyz", 8000),  # the database answers: messages can be taken
        ("livenessProbe", "tcpSocket", None, 8000),  # never /healthz: Rasa being down is not the api's fault
    },
    "actions": {
        ("readinessProbe", "httpGet", "/health", 5055),
        ("livenessProbe", "httpGet", "/health", 5055),
    },
    "rasa": {
        ("startupProbe", "httpGet", "/", 5005),  # the model loads first (about a minute)
        ("readinessProbe", "httpGet", "/", 5005),
        ("livenessProbe", "httpGet", "/", 5005),
    },
    "worker": set(),  # no port and no health signal yet (worker.yaml says why)
}
# Which image each Dockerfile builds, the Makefile variable naming its Python, its requirements.
IMAGES = {
    "concord-app": ("app.Dockerfile", "PY311", "requirements/app.txt"),
    "concord-rasa": ("rasa.Dockerfile", "PY310", "requirements/rasa.txt"),
}
SECRET_LOOKING = re.compile(r"TOKEN|KEY|SECRET|PASSWORD|DATABASE_URL|TRACKER_URL")


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _kustomization() -> dict:
    return _documents(K8S / "kustomization.yaml")[0]


def _manifests() -> list[Path]:
    """Every manifest file, the example Secret too (not kustomization.yaml, which is kustomize's)."""
    return sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


def _applied() -> list[dict]:
    """The objects `kubectl apply -k deploy/k8s` creates."""
    return [doc for name in _kustomization()["resources"] for doc in _documents(K8S / name)]


def _workloads() -> list[dict]:
    return [doc for doc in _applied() if doc["kind"] in WORKLOADS]


def _pod(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def _containers(workload: dict) -> list[dict]:
    pod = _pod(workload)
    return pod.get("initContainers", []) + pod["containers"]


def _ours() -> list[tuple[dict, dict]]:
    """(workload, container) for every container running Concord's own images."""
    return [
        (workload, container)
        for workload in _workloads()
        if workload["metadata"]["name"] not in TRYING_OUT
        for container in _containers(workload)
    ]


def _port_number(container: dict, port: int | str) -> int | None:
    """A probe's or Service's port, by number or by the container port's name."""
    for declared in container.get("ports", []):
        if port in (declared["containerPort"], declared.get("name")):
            return declared["containerPort"]
    return None


def _quantity(text: str | int | float) -> float:
    """A Kubernetes quantity (cpu "500m", memory "768Mi") as a plain number."""
    suffixes = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    number, suffix = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text)).groups()
    return float(number) * suffixes.get(suffix, 1)


# 1. Kubernetes' schemas ------------------------------------------------------------------------


def test_the_pinned_kubernetes_version_is_one_the_validator_has_schemas_for():
    assert KUBERNETES_VERSION in {major_minor(version) for version in all_versions()}


@pytest.mark.parametrize("path", _manifests(), ids=lambda path: path.name)
def test_every_manifest_is_valid_for_kubernetes_in_strict_mode(path):
    documents = _documents(path)
    assert documents, f"{path.name} holds no object"
    for document in documents:
        name = f"{path.name}: {document.get('kind')}/{document.get('metadata', {}).get('name')}"
        try:
            validated = kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            pytest.fail(f"{name}: {where}: {error.message}", pytrace=False)
        except SchemaNotFoundError as error:
            pytest.fail(f"{name}: {error.message}", pytrace=False)
        assert validated == KUBERNETES_VERSION, name


# 2. What kustomize applies ---------------------------------------------------------------------


def test_kustomization_applies_every_manifest_but_the_example_secret():
    kustomization = _kustomization()
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a manifest listed twice"
    assert [name for name in listed if not (K8S / name).is_file()] == []
    assert EXAMPLE_SECRET not in listed, "placeholders must never be applied by accident"
    assert set(listed) == {path.name for path in _manifests()} - {EXAMPLE_SECRET}
    assert kustomization["namespace"] == NAMESPACE
    # Each object names the namespace itself too, so applying one file alone lands in the same place.
    assert [
        f"{doc['kind']}/{doc['metadata']['name']}"
        for doc in _applied()
        if doc["kind"] != "Namespace" and doc["metadata"].get("namespace") != NAMESPACE
    ] == []
    assert {"Namespace"} <= {doc["kind"] for doc in _applied()}
    # Both of Concord's images can be pointed at a registry from kustomization.yaml.
    images = {container["image"] for _, container in _ours()}
    assert images == set(IMAGES)
    assert {image["name"] for image in kustomization.get("images", [])} == images


def test_the_example_secret_holds_every_key_the_manifests_need_and_only_placeholders():
    (secret,) = _documents(K8S / EXAMPLE_SECRET)
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == SECRET_NAME
    needed = {
        ref["key"]
        for workload in _workloads()
        for container in _containers(workload)
        for variable in container.get("env", [])
        if (ref := variable.get("valueFrom", {}).get("secretKeyRef"))
        and ref["name"] == SECRET_NAME
        and not ref.get("optional")
    }
    assert needed - set(secret["stringData"]) == set()
    # Too short for Concord to start with (Settings.weak_secrets wants 32 characters or more).
    for key in ("secret-key", "rasa-token", "internal-token"):
        assert len(secret["stringData"][key]) < 32, key
    assert all(
        ref["name"] == SECRET_NAME
        for workload in _workloads()
        for container in _containers(workload)
        for variable in container.get("env", [])
        if (ref := variable.get("valueFrom", {}).get("secretKeyRef"))
    )


# 3. Probes, resources, security, Services --------------------------------------------------------


def test_each_deployment_is_probed_as_its_process_can_answer():
    deployments = [
        w for w in _workloads() if w["kind"] == "Deployment" and w["metadata"]["name"] not in TRYING_OUT
    ]
    assert {w["metadata"]["name"] for w in deployments} == set(PROBES), (
        "describe a new Deployment's probes here"
    )
    for workload in deployments:
        name = workload["metadata"]["name"]
        (container,) = _pod(workload)["containers"]
        probes = set()
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe not in container:
                continue
            ((kind, action),) = [
                (k, v) for k, v in container[probe].items() if k in ("httpGet", "tcpSocket", "exec", "grpc")
            ]
            port = _port_number(container, action.get("port"))
            assert port is not None, f"{name} {probe}: port {action.get('port')} is not declared"
            probes.add((probe, kind, action.get("path"), port))
        assert probes == PROBES[name], name
    (rasa,) = [_pod(w)["containers"][0] for w in deployments if w["metadata"]["name"] == "rasa"]
    startup = rasa["startupProbe"]
    budget = startup.get("initialDelaySeconds", 0) + startup.get("periodSeconds", 10) * startup.get(
        "failureThreshold", 3
    )
    assert budget >= 60, "Rasa needs about a minute to load the model before it answers"


def test_every_container_has_requests_and_limits_within_them():
    for workload in _workloads():
        for container in _containers(workload):
            name = f"{workload['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                assert request is not None and limit is not None, f"{name}: {resource} request and limit"
                assert _quantity(request) <= _quantity(limit), f"{name}: {resource} request above its limit"


def test_every_pod_runs_unprivileged_on_a_read_only_root():
    for workload in _workloads():
        pod = _pod(workload)
        assert pod.get("automountServiceAccountToken") is False, workload["metadata"]["name"]
        for container in _containers(workload):
            name = f"{workload['metadata']['name']}/{container['name']}"
            pod_context, context = pod.get("securityContext", {}), container.get("securityContext", {})
            assert context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True, name
            assert context.get("runAsUser", pod_context.get("runAsUser", 0)) != 0, name
            assert context.get("allowPrivilegeEscalation") is False, name
            assert context.get("capabilities", {}).get("drop") == ["ALL"], name
            assert context.get("readOnlyRootFilesystem") is True, name


def test_every_service_reaches_its_workload_inside_the_cluster_and_only_the_api_is_exposed():
    workloads = [w for w in _workloads() if w["kind"] != "Job"]
    services = [doc for doc in _applied() if doc["kind"] == "Service"]
    assert services
    for service in services:
        name = service["metadata"]["name"]
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name
        selector = service["spec"]["selector"]
        matching = [
            w for w in workloads if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matching) == 1, f"service {name} selects {len(matching)} workloads"
        (workload,) = matching
        # The workload's own selector picks the same pods.
        assert (
            workload["spec"]["selector"]["matchLabels"].items()
            <= workload["spec"]["template"]["metadata"]["labels"].items()
        )
        for port in service["spec"]["ports"]:
            assert any(
                _port_number(container, port.get("targetPort", port["port"]))
                for container in _containers(workload)
            ), f"service {name} targets {port.get('targetPort')}, which no container declares"
    ingresses = [doc for doc in _applied() if doc["kind"] == "Ingress"]
    assert len(ingresses) == 1
    backends = [
        path["backend"]["service"] for rule in ingresses[0]["spec"]["rules"] for path in rule["http"]["paths"]
    ]
    assert {backend["name"] for backend in backends} == {"api"}
    (api,) = [s for s in services if s["metadata"]["name"] == "api"]
    assert all(
        backend["port"].get("name") in {p.get("name") for p in api["spec"]["ports"]}
        or backend["port"].get("number") in {p["port"] for p in api["spec"]["ports"]}
        for backend in backends
    )
    hosts = {rule["host"] for rule in ingresses[0]["spec"]["rules"]}
    assert hosts <= {host for tls in ingresses[0]["spec"]["tls"] for host in tls["hosts"]}, (
        "every host on TLS"
    )


# 4. Environment -------------------------------------------------------------------------------


@cache
def _read_by_rasa_and_procfile() -> frozenset[str]:
    """The variables the endpoints files, credentials.yml and the Procfile read, beside Settings."""
    names = set()
    for name in ("endpoints.yml", "endpoints-shared.yml", "credentials.yml"):
        names |= set(re.findall(r"\$\{(CONCORD_\w+)\}", (ROOT / name).read_text(encoding="utf-8")))
    names |= set(re.findall(r"\$\{?(CONCORD_\w+)", (ROOT / "Procfile").read_text(encoding="utf-8")))
    return frozenset(names)


def test_every_concord_variable_is_one_concord_reads():
    settings = {f"CONCORD_{field.upper()}" for field in Settings.model_fields}
    assert {
        "CONCORD_LOCK_STORE_HOST",
        "CONCORD_ACTIONS_WEBHOOK",
        "CONCORD_NLG_URL",
    } <= _read_by_rasa_and_procfile()
    known = settings | _read_by_rasa_and_procfile()
    unknown = {
        f"{workload['metadata']['name']}: {variable['name']}"
        for workload, container in _ours()
        for variable in container.get("env", [])
        if variable["name"].startswith("CONCORD_") and variable["name"] not in known
    }
    assert unknown == set()


def test_no_secret_is_written_into_a_manifest():
    for workload in _workloads():
        for container in _containers(workload):
            assert "envFrom" not in container, "name each variable, so the tests see them"
            for variable in container.get("env", []):
                if SECRET_LOOKING.search(variable["name"]):
                    where = f"{workload['metadata']['name']}: {variable['name']}"
                    assert "value" not in variable, f"{where} has a literal value"
                    assert "secretKeyRef" in variable.get("valueFrom", {}), f"{where} is not from a Secret"
    assert [doc["metadata"]["name"] for doc in _applied() if doc["kind"] == "Secret"] == []


def test_a_setting_has_one_value_everywhere_and_the_public_url_is_the_ingress_host():
    values: dict[str, set[str]] = {}
    for _, container in _ours():
        for variable in container.get("env", []):
            if "value" in variable:
                values.setdefault(variable["name"], set()).add(variable["value"])
    assert {name: found for name, found in values.items() if len(found) > 1} == {}
    (ingress,) = [doc for doc in _applied() if doc["kind"] == "Ingress"]
    (public_url,) = values["CONCORD_PUBLIC_URL"]
    assert urlsplit(public_url).scheme == "https"
    assert urlsplit(public_url).hostname in {rule["host"] for rule in ingress["spec"]["rules"]}


def test_rasa_gets_every_variable_its_endpoints_and_credentials_read():
    (rasa,) = [container for workload, container in _ours() if workload["metadata"]["name"] == "rasa"]
    given = {variable["name"] for variable in rasa["env"]}
    for name in ("endpoints-shared.yml", "credentials.yml"):
        read = set(re.findall(r"\$\{(\w+)\}", (ROOT / name).read_text(encoding="utf-8")))
        assert read - given == set(), f"Rasa refuses to start without them ({name})"
    assert given >= {"RASA_TELEMETRY_ENABLED"}


@pytest.mark.parametrize("component", ["api", "worker", "actions", "migrate"])
def test_the_settings_each_process_is_given_are_valid_and_strong(component, monkeypatch):
    """Settings as Concord would read them in that container (secrets filled with strong values)."""
    (secret,) = _documents(K8S / EXAMPLE_SECRET)
    strong = {"data-keys": json.dumps([Fernet.generate_key().decode()])}
    (container,) = [c for workload, c in _ours() if workload["metadata"]["name"] == component]
    for name in [name for name in os.environ if name.upper().startswith("CONCORD_")]:
        monkeypatch.delenv(name)
    for variable in container.get("env", []):
        if "value" in variable:
            monkeypatch.setenv(variable["name"], variable["value"])
        elif ref := variable.get("valueFrom", {}).get("secretKeyRef"):
            if ref.get("optional"):
                continue
            key = ref["key"]
            value = strong.get(key) or (
                "s" * 43 if key not in ("database-url", "tracker-url") else secret["stringData"][key]
            )
            monkeypatch.setenv(variable["name"], value)
    settings = Settings(_env_file=None)
    # The action server never calls Rasa's HTTP API, so it is not given Rasa's token.
    assert settings.weak_secrets() == (["CONCORD_RASA_TOKEN"] if component == "actions" else [])
    if component in ("api", "worker"):
        assert settings.database_url.startswith("postgresql+psycopg://")
        assert settings.tracker_url.startswith("postgresql://")


# 5. Commands ----------------------------------------------------------------------------------


@cache
def _cli_subcommands() -> frozenset[str]:
    shown = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return frozenset(re.search(r"\{([\w,-]+)\}", shown).group(1).split(","))


def _module_file(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def _flag(command: list[str], flag: str) -> str | None:
    return command[command.index(flag) + 1] if flag in command else None


def test_every_command_starts_something_that_exists():
    for workload, container in _ours():
        command = container.get("command", []) + container.get("args", [])
        name = workload["metadata"]["name"]
        declared = {port["containerPort"] for port in container.get("ports", [])}
        if command[:3] == ["python", "-m", "api.cli"]:
            assert command[3] in _cli_subcommands(), f"{name}: api.cli has no {command[3]!r}"
        elif command[:3] == ["python", "-m", "actions.server"]:
            assert _module_file("actions.server").is_file()
            assert int(_flag(command, "--port")) in declared, name
        elif command[:4] == ["python", "-m", "concord_nlu.rasa_server", "run"]:
            assert _module_file("concord_nlu.rasa_server").is_file()
            assert int(_flag(command, "--port")) in declared, name
            assert _flag(command, "-i") == "0.0.0.0"
            assert _flag(command, "--endpoints") == "endpoints-shared.yml"
            for flag in ("--endpoints", "--credentials"):
                assert (ROOT / _flag(command, flag)).is_file()
                assert _flag(command, flag) in _copied("rasa.Dockerfile"), f"{flag} is not in the image"
            assert _flag(command, "--model") == "models"
            assert any(source.startswith("models/") for source in _copied("rasa.Dockerfile"))
            given = {variable["name"] for variable in container["env"]}
            for part in command:
                assert set(re.findall(r"\$\((\w+)\)", part)) <= given, f"{name}: {part} is not in its env"
        elif command[:2] == ["uvicorn", "api.main:app"]:
            tree = ast.parse(_module_file("api.main").read_text(encoding="utf-8"))
            assert any(
                isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "app" for t in node.targets)
                for node in tree.body
            ), "api.main has no module-level app"
            assert int(_flag(command, "--port")) in declared, name
            assert _flag(command, "--host") == "0.0.0.0"
        else:
            pytest.fail(f"{name}: {command} is not a command this test knows; describe it here")


# 6. Dockerfiles and the shared endpoints ----------------------------------------------------------


def _instructions(dockerfile: Path) -> list[tuple[str, list[str]]]:
    """(INSTRUCTION, words) for each instruction, continuation lines joined, comments dropped."""
    lines = [
        line
        for line in dockerfile.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(line.split()[0].upper(), line.split()[1:]) for line in joined.splitlines() if line.strip()]


def _makefile_python(variable: str) -> str:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = re.search(rf"^{variable}\s*\?=(.*)$", makefile, re.MULTILINE).group(1)
    return re.search(r"python(3\.\d+)", line).group(1)


def _copied(dockerfile: str) -> list[str]:
    """Every COPY source of a Dockerfile, as written (trailing slash dropped)."""
    return [
        source.rstrip("/")
        for kind, words in _instructions(DOCKER / dockerfile)
        if kind == "COPY"
        for source in [word for word in words if not word.startswith("--")][:-1]
    ]


def _default_command(dockerfile: str) -> list[str]:
    """The image's CMD as Kubernetes would spell it: $(VAR) for the shell's "$VAR", no `exec`."""
    text = (DOCKER / dockerfile).read_text(encoding="utf-8")
    (cmd,) = re.findall(r"^CMD\s+(.*)$", text, re.MULTILINE)
    if cmd.startswith("["):
        return json.loads(cmd)
    words = shlex.split(cmd)
    words = words[1:] if words[0] == "exec" else words
    return [re.sub(r"^\$\{?(\w+)\}?$", r"$(\1)", word) for word in words]


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_each_dockerfile_copies_what_exists_on_the_makefiles_python_as_a_numeric_non_root_user(image):
    dockerfile, python_variable, requirements = IMAGES[image]
    instructions = _instructions(DOCKER / dockerfile)
    (base,) = [words for kind, words in instructions if kind == "FROM"]
    assert re.fullmatch(rf"python:{re.escape(_makefile_python(python_variable))}-slim", base[0]), base
    copied: list[str] = []
    model = re.search(
        r"^MODEL\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE
    ).group(1)
    for kind, words in instructions:
        if kind == "COPY":
            sources = [word for word in words if not word.startswith("--")][:-1]
            for source in sources:
                # The model is `make train`'s output (the Makefile's MODEL): built before the image.
                assert source == model or (ROOT / source).exists(), f"{dockerfile}: COPY {source}"
            copied += [source.rstrip("/") for source in sources]
        if kind == "RUN" and "-r" in words:
            installed = _flag(words, "-r")
            assert installed == requirements and installed in copied, f"{dockerfile}: installs {installed}"
    assert requirements in copied
    users = [words[0] for kind, words in instructions if kind == "USER"]
    assert users, f"{dockerfile} runs as root"
    user = users[-1].split(":")[0]
    assert user.isdigit() and user != "0", (
        f"{dockerfile}: USER {users[-1]} (numeric, so runAsNonRoot can check it)"
    )
    for workload, container in _ours():
        if container["image"] == image:
            assert _pod(workload)["securityContext"]["runAsUser"] == int(user), workload["metadata"]["name"]
    # The build context is the repository root; the Dockerfile's own ignore file lets through what it copies.
    allowed = (DOCKER / f"{dockerfile}.dockerignore").read_text(encoding="utf-8").splitlines()
    assert [source for source in copied if f"!{source}" not in allowed and f"!{source}/" not in allowed] == []
    assert "*" in allowed
    assert not any(source.startswith(("tests", ".env", "var")) for source in copied)
    # The image alone (docker run) starts what its Deployment starts.
    started = {
        workload["metadata"]["name"]: container.get("command", []) + container.get("args", [])
        for workload, container in _ours()
        if container["image"] == image
    }
    assert _default_command(dockerfile) == started["api" if image == "concord-app" else "rasa"]


def test_the_app_image_holds_every_file_the_processes_read_at_run_time():
    copied = set(_copied("app.Dockerfile"))
    assert {"api", "bot", "actions", "locales", "creditor.yml", "alembic.ini"} <= copied
    # Files and folders named from the repository root (bot.config.ROOT) in the code the image runs.
    read: set[str] = set()
    for package in ("api", "bot", "actions"):
        for module in (ROOT / package).rglob("*.py"):
            source = module.read_text(encoding="utf-8")
            read |= set(re.findall(r'ROOT / "([\w.-]+)"', source)) - {"data"}
            read |= {f"data/{name}" for name in re.findall(r'ROOT / "data" / "([\w.-]+)"', source)}
    # The Procfile and var/ belong to `make run` (api.cli run), which a container never runs.
    needed = read - {"Procfile", "var"}
    assert {"data/nlu", "data/sentiment", "data/vulnerability", "creditor.yml"} <= needed
    assert needed - copied == set()


def test_the_shared_endpoints_are_endpoints_yml_plus_rasas_redis_lock_store():
    single = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    shared_text = (ROOT / "endpoints-shared.yml").read_text(encoding="utf-8")
    assert single in shared_text, "endpoints-shared.yml is endpoints.yml as it is, comments too"
    plain, shared = yaml.safe_load(single), yaml.safe_load(shared_text)
    assert set(shared) == set(plain) | {"lock_store"}
    for section in ("action_endpoint", "nlg", "tracker_store"):
        assert shared[section] == plain[section], section
    # RedisLockStore takes `url` as its host, and port, db and key_prefix (alphanumeric) as arguments.
    assert shared["lock_store"] == {
        "type": "redis",
        "url": "${CONCORD_LOCK_STORE_HOST}",
        "port": "${CONCORD_LOCK_STORE_PORT}",
        "db": "${CONCORD_LOCK_STORE_DB}",
        "key_prefix": "concord",
    }
    assert shared["lock_store"]["key_prefix"].isalnum()
