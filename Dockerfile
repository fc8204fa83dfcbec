# The wallboard application image: one image, every `wallboard` subcommand.
# (The broker runs from the official apache/kafka image; see docker-compose.yml.)
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY wallboard ./wallboard
COPY streams ./streams
COPY dashboard ./dashboard
COPY alerts ./alerts
COPY schemas ./schemas
COPY infra ./infra
RUN pip install --no-cache-dir .
RUN useradd --create-home wallboard
USER wallboard
ENTRYPOINT ["wallboard"]
CMD ["--help"]
