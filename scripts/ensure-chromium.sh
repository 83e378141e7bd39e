#!/bin/sh
# Make sure Debian's Chromium is present for the browser tests (Playwright cannot download its own
# browser here). Installs it with apt-get when missing and we are root or have sudo.
set -e
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "The browser tests need Chromium at /usr/bin/chromium." >&2
    echo "Install it (Debian/Ubuntu: apt-get install chromium) and run make test again." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "The browser tests need Chromium at /usr/bin/chromium and this system has no apt-get:" >&2
    echo "install chromium with your package manager and run make test again." >&2
    exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
