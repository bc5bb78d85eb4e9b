#!/bin/sh
# make check: the built program says what it should.
test "$(./greet sandbox)" = "hello, sandbox"
