# rekap: the HTTP API under gunicorn. Build: docker build -t rekap .
# The same image runs `rekap init` and `rekap projections run` (see compose.yaml).

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/rekap
COPY pyproject.toml README.md ./
COPY domain domain
COPY service service
COPY api api
# Every dependency ships as a wheel (psycopg[binary], cryptography): no compiler needed.
RUN /opt/rekap/bin/pip install --no-cache-dir . \
 && /opt/rekap/bin/pip uninstall --yes pip setuptools

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /srv/rekap rekap \
 && mkdir -p /srv/rekap/var/evidence \
 && chown -R rekap:rekap /srv/rekap/var
COPY --from=build /opt/rekap /opt/rekap
ENV PATH=/opt/rekap/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    REKAP_BIND=0.0.0.0:8000 \
    REKAP_EVIDENCE_DIR=/srv/rekap/var/evidence \
    REKAP_AUDIT_KEY=/srv/rekap/var/audit-key.pem \
    REKAP_TOTP_KEY=/srv/rekap/var/totp-key \
    PROMETHEUS_MULTIPROC_DIR=/tmp/rekap-metrics
WORKDIR /srv/rekap
USER rekap
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Workers build their application after the fork; tables come from `rekap init`, never from here.
CMD ["gunicorn", "-c", "python:api.gunicorn_conf", "api.wsgi:application"]
