#!/bin/sh
# Make a browser available for the browser tests where that is possible; never stop the suite.
#
# tests/browser.py looks for one in this order: CHROME_PATH (if set, it wins, even when it names
# nothing), Debian's /usr/bin/chromium, then Chrome's and Chromium's usual places on Linux and macOS.
# If none is there and this machine has apt-get and we are root (or have sudo without a password),
# Debian's chromium is installed. Otherwise one line says so and the browser tests are skipped
# (under CI=true they fail instead, saying why). This script always exits 0.

say() { echo "make browser: $*" >&2; }

if [ -n "${CHROME_PATH:-}" ]; then
    if [ -x "$CHROME_PATH" ]; then
        say "using CHROME_PATH=$CHROME_PATH"
    else
        say "CHROME_PATH=$CHROME_PATH is not an executable file: the browser tests will be skipped (or fail under CI=true)"
    fi
    exit 0
fi
for path in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable \
            /opt/google/chrome/chrome /snap/bin/chromium \
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
            "/Applications/Chromium.app/Contents/MacOS/Chromium"; do
    if [ -x "$path" ]; then
        exit 0
    fi
done

HINT="set CHROME_PATH=/path/to/chrome-or-chromium, or install Chromium with your package manager"
if ! command -v apt-get >/dev/null 2>&1; then
    say "no Chromium or Chrome found and no apt-get to install one: the browser tests will be skipped ($HINT)"
    exit 0
fi
if [ "$(id -u)" = "0" ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    say "no Chromium or Chrome found, and installing one needs root: the browser tests will be skipped ($HINT; sudo apt-get install chromium)"
    exit 0
fi
say "installing Debian's chromium for the browser tests..."
if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; then
    exit 0
fi
say "could not install chromium: the browser tests will be skipped ($HINT)"
exit 0
