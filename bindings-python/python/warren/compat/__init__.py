"""Compatibility layers: ``from warren.compat import pika`` runs code written for pika's
``BlockingConnection`` on Warren."""
