#!/usr/bin/env bash
# Fuzz one target for real, then keep what it found as regression inputs.
#   hopper-fuzz/fuzz.sh TARGET [MINUTES]      e.g. hopper-fuzz/fuzz.sh damagedQueueFiles 10
# TARGET is a @FuzzTest method name. Regression mode (`./mvnw test`) replays the kept inputs.
set -euo pipefail
target="${1:?usage: fuzz.sh TARGET [MINUTES]}"
minutes="${2:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
class="$(grep -rl "void ${target}(" "$here/src/test/java" | head -n 1)"
[ -n "$class" ] || { echo "no @FuzzTest method named $target" >&2; exit 2; }
simple="$(basename "$class" .java)"
pkg_path="$(dirname "${class#"$here/src/test/java/"}")"
inputs="$here/src/test/resources/$pkg_path/${simple}Inputs/$target"
mkdir -p "$inputs"

cd "$root"
./mvnw -B -q install -DskipTests -pl hopper-core -am
echo "fuzzing ${simple}#${target} for ${minutes} min (findings go to $inputs)"
set +e
JAZZER_FUZZ=1 timeout --signal=INT "$((minutes * 60))" \
  ./mvnw -B test -pl hopper-fuzz -Dtest="${simple}#${target}" -Dsurefire.failIfNoSpecifiedTests=false \
  2>&1 | tee "$here/target/fuzz-${target}.log" | grep -E --line-buffered "^#[0-9]+.*(NEW|REDUCE|pulse|DONE)|ERROR|Exception|Tests run" || true
status=${PIPESTATUS[0]}
set -e
found=0
for f in "$here"/crash-* "$root"/crash-* "$here"/timeout-* "$here"/oom-*; do
  [ -e "$f" ] || continue
  cp "$f" "$inputs/" && rm -f "$f" && found=$((found + 1))
done
corpus="$here/.cifuzz-corpus/${simple}/${target}"
[ -d "$corpus" ] && echo "working corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
echo "findings kept as regression inputs: $found (exit status $status; 124/130 = time limit reached)"
