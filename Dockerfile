FROM python:3.11-slim
# A font with Chinese glyphs for the printed village notices, found by fontconfig.
RUN apt-get update && apt-get install -y --no-install-recommends fontconfig fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY schemas ./schemas
COPY services ./services
RUN pip install --no-cache-dir . \
    # Tokens for other containers (Prometheus's), the deployment's keys and the
    # state directory; a new volume takes the folder's owner.
    && mkdir -p /run/povwatch /run/povwatch-keys /var/lib/povwatch \
    && chown nobody /run/povwatch /run/povwatch-keys /var/lib/povwatch
USER nobody
ENTRYPOINT ["povwatch"]
