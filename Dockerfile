FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-liberation2 fonts-noto-core fonts-dejavu-core gettext curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The site's lock alone (requirements-dev.lock adds pytest, Playwright, ruff and pip-tools, which an
# image never runs): every package pinned and checked against its hash, setuptools and wheel
# included, so the project installs next without its dependencies and without fetching anything.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY portal portal
COPY procedures procedures
COPY submissions submissions
COPY signing signing
COPY payments payments
COPY office office
COPY demo demo
RUN pip install --no-deps --no-build-isolation . && pip check
COPY . .
RUN PORTAL_ENV=production ALLOWED_HOSTS=build SECRET_KEY=build-only-collectstatic-not-a-secret-0123456789abcdef \
      SIGNING_KEK=YnVpbGQtb25seS1ub3QtYS1yZWFsLWtleS0wMTIzNDU= \
      python manage.py collectstatic --noinput \
 && msgfmt --check -o locale/vi/LC_MESSAGES/django.mo locale/vi/LC_MESSAGES/django.po \
 && useradd --system --home /app portal && mkdir -p /data/media && chown portal /data/media
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--config", "gunicorn.conf.py"]
