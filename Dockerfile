# The govauto image the cluster runs (docker-compose.yml): the library with the cluster extra (Celery, the Redis
# client, psycopg), the bundled plugins, Debian's Chromium for the robots and Tesseract for OCR.
#   docker build -t govauto .
FROM python:3.11-slim-bookworm

# gcc: durable-rules builds a C extension; chromium: the robots' browser (Playwright's download is never used).
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk \
      libgl1 chromium \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/govauto
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY rules ./rules
COPY plugins ./plugins
RUN pip install --no-cache-dir -c constraints.txt ".[cluster]" ./plugins/govauto-name-registry \
      ./plugins/govauto-rapidocr

RUN useradd --create-home --uid 10001 govauto && mkdir -p /var/lib/govauto && chown govauto /var/lib/govauto
ENV GOVAUTO_HOME=/var/lib/govauto \
    GOVAUTO_CHROMIUM=/usr/bin/chromium \
    PYTHONUNBUFFERED=1
USER govauto
CMD ["govauto", "worker", "--runner", "celery", "--concurrency", "2"]
