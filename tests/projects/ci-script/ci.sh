#!/bin/sh
# A CI step as a runner would start it: it reads the CI system's variables and its own, and
# must not be handed the runner's token.
set -eu
: "${CI:?not a CI run}"
echo "commit ${GITHUB_SHA:?} on ${GITHUB_REF_NAME:?}"
if [ -n "${GITHUB_TOKEN+set}" ]; then
  echo "the step was given GITHUB_TOKEN" >&2
  exit 3
fi
mkdir -p out
printf 'built %s\n' "$GITHUB_SHA" >"out/artifact${SUFFIX:?}"
echo "wrote out/artifact$SUFFIX"
