# The portal's image: the web app (gunicorn), the Celery worker and beat run from it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 JIYUN_INSTANCE_PATH=/var/lib/jiyun
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY portal portal
COPY catalog catalog
COPY billing billing
COPY migrations migrations
COPY babel.cfg gunicorn.conf.py ./
RUN pybabel compile -d portal/translations && useradd --system --home /var/lib/jiyun jiyun \
    && mkdir -p /var/lib/jiyun && chown jiyun /var/lib/jiyun
USER jiyun
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-", \
     "portal:create_app()"]
