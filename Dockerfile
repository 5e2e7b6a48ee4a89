# The quiz served by gunicorn: docker build -t mesoquiz . && docker run -p 8000:8000 mesoquiz
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --system --create-home --uid 10001 --user-group quiz

# Dependencies first, so a change to templates or static files does not reinstall them.
COPY pyproject.toml README.md ./
COPY quiz ./quiz
RUN pip install .

# The app runs from this tree: templates/, static/ and questions.json sit beside quiz/.
COPY . .
RUN mkdir -p instance && chown quiz:quiz instance

USER quiz
ENV BIND=0.0.0.0:8000 \
    LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
