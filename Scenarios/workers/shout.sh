#!/bin/sh
# A worker in another language: a shell script that execs the echo server with a fixed
# answer delay, to show that a worker is any program that speaks the contract.
MEAN_MS=${MEAN_MS:-5} exec python3 "$(dirname "$0")/echo.py"
