#!/usr/bin/env bash
# Installs the third-party checkers CI uses, when missing: Debian's chromium (report
# screenshots), prometheus (promtool check metrics, and the server the Prometheus import is
# tested against), wrk (the load benchmark), and slurmctld, slurmd, slurm-client and munge (a
# one-node Slurm cluster for the sharded sweep, Scripts/slurm-sweep.sh); PyPI's
# awslambdaric (the real AWS Lambda runtime interface client), scikit-learn (the demo's real
# model), h11 (the reference HTTP/1.1 parser, Scripts/http-differential.py), and
# kubernetes-validate and check-jsonschema (the exported manifests' schemas,
# Scripts/validate-manifests.sh), boto3, openai and tritonclient[http] (the AWS, OpenAI and
# KServe v2 clients, against the Lambda Invoke, /v1 and /v2 paths) into .venv/
# (git-ignored). Idempotent and quiet; a tool that cannot be had is
# reported, and the tests that need it say they were skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
command -v munged >/dev/null 2>&1 || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "ci-tools: installing ${missing[*]} from Debian"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/headroom-apt.log 2>&1 \
      || echo "ci-tools: apt-get could not install ${missing[*]} (see /tmp/headroom-apt.log); the checks that need them are skipped"
  else
    echo "ci-tools: ${missing[*]} missing and apt-get unavailable (not root?); the checks that need them are skipped"
  fi
fi

if ! .venv/bin/python3 -c 'import awslambdaric, sklearn, h11, kubernetes_validate, check_jsonschema, boto3, openai, tritonclient.http' >/dev/null 2>&1; then
  echo "ci-tools: installing awslambdaric, scikit-learn, h11, kubernetes-validate, check-jsonschema, boto3, openai and tritonclient[http] into .venv"
  { [ -x .venv/bin/python3 ] || python3 -m venv .venv; } >/tmp/headroom-pip.log 2>&1
  .venv/bin/pip install -q awslambdaric scikit-learn h11 kubernetes-validate check-jsonschema boto3 openai 'tritonclient[http]' >>/tmp/headroom-pip.log 2>&1 \
    || echo "ci-tools: pip could not install the PyPI checkers (see /tmp/headroom-pip.log); the checks that need them are skipped"
fi
exit 0
