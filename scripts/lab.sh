#!/bin/sh
# Start JupyterLab for the course: `make lab` calls this with the first notebook.
#
# It always listens on 127.0.0.1 only (this machine; nobody on the network can reach it), and when
# run as root, which containers and hosted notebooks often do, it adds --allow-root, without which
# Jupyter refuses to start. Extra arguments go to `jupyter lab` unchanged.
#
#   JUPYTER=...   the jupyter command (default: .venv/bin/jupyter)
#   LAB_UID=...   pretend to be this user id (for the tests; default: id -u)
set -eu
JUPYTER="${JUPYTER:-.venv/bin/jupyter}"
uid="${LAB_UID:-$(id -u)}"
if [ "$uid" = 0 ]; then
    echo "Starting JupyterLab on 127.0.0.1 only, as root (with --allow-root); press Ctrl-C twice to stop."
    exec $JUPYTER lab --ip=127.0.0.1 --allow-root "$@"
else
    echo "Starting JupyterLab on 127.0.0.1 only; press Ctrl-C twice to stop."
    exec $JUPYTER lab --ip=127.0.0.1 "$@"
fi
