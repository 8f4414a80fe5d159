#!/bin/sh
# Generates ./configure. automake does not copy its TAP driver by itself.
set -e
cd "$(dirname "$0")"
autoreconf -fi
cp "$(automake --print-libdir)/tap-driver.sh" build-aux/
