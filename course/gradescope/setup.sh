#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder image.
# The zip holds this file and run_autograder at its top, and a checkout of
# sockref as source/ (Gradescope puts it in /autograder/source).
set -eu
apt-get update
apt-get install -y --no-install-recommends build-essential ca-certificates curl iproute2 util-linux strace
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
. "$HOME/.cargo/env"
cd /autograder/source
# Everything the grader needs, built once for every submission: the xtask,
# the reference programs, and the shared cache (a solved kit graded once).
cargo build --quiet -p xtask --bins
cargo build --quiet --workspace --bins
rm -rf /tmp/sockref-warm
cargo xtask course new /tmp/sockref-warm --solved
cargo xtask grade /tmp/sockref-warm
rm -rf /tmp/sockref-warm
