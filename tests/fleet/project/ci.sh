#!/bin/sh
# The project's CI step: build and run. tests/fleet/e2e.sh patches this file to make the step
# hostile or to make it exit 3.
set -e
make
./hello
