# One image for every Python unit of shopdemo; the container's command picks the unit:
#   python -m monolith | distributed.order | ... | mesh | event_driven.payment | ...
# and the Locust web UI of docker-compose.yml's `loadtest` profile. See docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app

# The dependencies alone, from pyproject.toml, in their own layer: editing the sources reuses it.
# Only [project] dependencies: the embedded server and broker (extra "embedded") stay out.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" >requirements.txt \
    && pip install -r requirements.txt \
    && rm requirements.txt

# The units' sources; the console also uses the launcher's modules in shopdemo/ (its audit and
# figures, not the embedded server and broker). istio/ is the mesh's policy (MESH_POLICY_DIR).
# Compiled once here, since the unprivileged user below cannot write bytecode caches at run time.
COPY shop ./shop
COPY service_kit ./service_kit
COPY monolith ./monolith
COPY distributed ./distributed
COPY event_driven ./event_driven
COPY mesh ./mesh
COPY istio ./istio
COPY loadtests ./loadtests
COPY shopdemo ./shopdemo
COPY console ./console
RUN python -m compileall -q /app \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin shop

USER shop
EXPOSE 8080
CMD ["python", "-m", "monolith"]
