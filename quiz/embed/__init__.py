"""The visitor's path under /embed: the views (views.py), their forms (forms.py) and the pure
step flow (flow.py)."""

from quiz.embed.views import bp

__all__ = ["bp"]
