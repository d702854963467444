"""The `estflow` command line (click): train, evaluate, predict, export, serve, inspect, quickstart."""
