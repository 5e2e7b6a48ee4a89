"""A bare Flask app that answers "hello": the yardstick the quiz's throughput is compared to."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Answer with a constant, doing nothing else."""
    return "hello"


@app.get("/healthz")
def healthz():
    """Answer like the quiz's probe, so the benchmark can wait for both the same way."""
    return {"status": "ok"}
