# One image for the web app, the Celery worker and Celery beat (see docker-compose.yml).

# Front-end libraries from npm (served by the app itself through collectstatic + whitenoise, no CDN).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json* ./
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi \
    && mkdir -p node_modules

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# Dependencies first (from pyproject.toml), so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY . .
COPY --from=assets /app/node_modules ./node_modules
# Build-time steps need no secret and no database: DEBUG=1 allows the development key for them only.
RUN pip install --no-deps -e . \
    && if find locale -name '*.po' | grep -q .; then DEBUG=1 python manage.py compilemessages --ignore=node_modules -v0; fi \
    && DEBUG=1 python manage.py collectstatic --noinput -v0

RUN useradd --system --uid 1000 --home-dir /app app \
    && mkdir -p /app/media \
    && chown app /app/media
USER app
EXPOSE 8000
CMD ["gunicorn", "liaoning_tt.wsgi:application", "--bind", "0.0.0.0:8000"]
