#!/usr/bin/env bash
# Exports every bundled plan that has a Kubernetes form, in every form (headroom export
# kubernetes --as deployment|knative|kserve|keda), and a sweep's Indexed Job (--sweep N), and
# validates each manifest with the
# platforms' own schemas: built-in kinds (Deployment, HorizontalPodAutoscaler, ConfigMap, Job) with
# PyPI kubernetes-validate in strict mode (it bundles the upstream schemas; no network), custom
# resources (Knative Service, KServe InferenceService, KEDA ScaledObject) with PyPI
# check-jsonschema against ../shared/schemas (datreeio/CRDs-catalog, MIT). Annotation ranges
# the schemas cannot express (Knative's window 6s-1h, panic threshold 110-1000 %) are checked
# by the test suite's round trip, whose import enforces them.
#
# Usage: Scripts/validate-manifests.sh [HEADROOM]   (default .build/debug/headroom)
set -euo pipefail
cd "$(dirname "$0")/.."
headroom=${1:-.build/debug/headroom}
schemas=../shared/schemas
if ! .venv/bin/python3 -c 'import kubernetes_validate, check_jsonschema' >/dev/null 2>&1; then
  echo "kubernetes-validate / check-jsonschema not installed in .venv: manifest validation skipped"
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
plans=0
for scenario in Scenarios/*.json; do
  [ "$scenario" = Scenarios/schema.json ] && continue
  for plan in $(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["plans"]))' "$scenario"); do
    for kind in deployment knative kserve keda; do
      dir="$out/$(basename "$scenario" .json)/$plan/$kind"
      # A plan without this form is refused with why (exit 1); the round-trip test checks
      # which plans have which forms.
      if "$headroom" export kubernetes "$scenario" --plan "$plan" --as "$kind" --out "$dir" \
           --prometheus-url http://prometheus.monitoring.svc:9090 > /dev/null 2>&1; then
        plans=$((plans + 1))
      fi
    done
  done
done
# The Indexed Job that runs a sharded sweep (headroom export kubernetes --sweep N).
"$headroom" export kubernetes Scenarios/quickstart.json --sweep 8 --vary 'plans.autoscaled.target=0.3..0.9 step 0.05' \
  --image registry.example.com/headroom:latest --results-claim headroom-results --out "$out/sweep-job" > /dev/null
mapfile -t builtin < <(grep -lE '"kind": "(Deployment|HorizontalPodAutoscaler|ConfigMap|Job)"' -r "$out" --include '*.json' | sort)
mapfile -t ksvc < <(grep -l '"apiVersion": "serving.knative.dev/v1"' -r "$out" --include '*.json' | sort)
mapfile -t isvc < <(grep -l '"apiVersion": "serving.kserve.io/v1beta1"' -r "$out" --include '*.json' | sort)
mapfile -t keda < <(grep -l '"apiVersion": "keda.sh/v1alpha1"' -r "$out" --include '*.json' | sort)
echo "manifests: $plans plan exports; ${#builtin[@]} built-in objects, ${#ksvc[@]} Knative Services, ${#isvc[@]} InferenceServices, ${#keda[@]} ScaledObjects"
.venv/bin/kubernetes-validate --strict --quiet "${builtin[@]}"
echo "kubernetes-validate $(.venv/bin/kubernetes-validate --version | awk '{print $NF}') (Kubernetes 1.37.0, strict): ${#builtin[@]} valid"
if [ -d "$schemas" ]; then
  .venv/bin/check-jsonschema -o text --schemafile "$schemas/serving.knative.dev/service_v1.json" "${ksvc[@]}"
  .venv/bin/check-jsonschema -o text --schemafile "$schemas/serving.kserve.io/inferenceservice_v1beta1.json" "${isvc[@]}"
  .venv/bin/check-jsonschema -o text --schemafile "$schemas/keda.sh/scaledobject_v1alpha1.json" "${keda[@]}"
else
  echo "$schemas not found: custom-resource schemas (Knative, KServe, KEDA) not checked"
fi
