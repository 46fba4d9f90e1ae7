"""Lecture-specific slider explorers, one module per topic, built on ``lrcourse.widgets``.

``lrcourse.widgets`` holds the machinery (``Explorer``, ``figure``, ``log_slider``) and the
explorers every part of the course uses (a schedule explorer, a learning-rate explorer, a
side-by-side comparison). A module here adds the explorers of one topic, for example
``lrcourse.explorers.momentum``, and lists them in a module-level ``EXPLORERS`` dict
(name -> a function that builds the explorer with its default settings), which the slider
benchmark and the browser test walk through.
"""
