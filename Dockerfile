# The pmkv gateway image: `pmkv serve` in front of a Redis-compatible engine.
# docker-compose.yml pairs it with redis:7-alpine; run alone with
#   docker run -p 8080:8080 -e PMKV_TOKEN=... pmkv-gateway \
#     pmkv serve --host 0.0.0.0 --port 8080 --engine-url redis://HOST:6379
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what the build needs (see .dockerignore); README.md is the package's long description.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && rm -rf /app/src

# No root inside the container.
RUN useradd --create-home --uid 10001 pmkv
USER pmkv
WORKDIR /home/pmkv

EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=10 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/', timeout=2)"]

# The token comes from PMKV_TOKEN (required: serve refuses a non-loopback bind without one).
CMD ["pmkv", "serve", "--host", "0.0.0.0", "--port", "8080", "--engine-url", "redis://redis:6379"]
