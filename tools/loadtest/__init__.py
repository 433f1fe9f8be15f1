"""The deadline-rush load test (locust); run by ``smk bench rush``."""
