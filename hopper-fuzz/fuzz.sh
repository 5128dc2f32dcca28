#!/usr/bin/env bash
# Fuzz one target for real, then keep what it found as regression inputs.
#   hopper-fuzz/fuzz.sh TARGET [MINUTES]      e.g. hopper-fuzz/fuzz.sh damagedQueueFiles 10
# TARGET is a @FuzzTest method name. `./mvnw test` replays the kept inputs (regression mode).
# Do not build or test hopper-fuzz from another shell while this runs: rebuilding the classes
# under a running fuzzer makes it report bogus crashes.
set -euo pipefail
shopt -s nullglob
target="${1:?usage: fuzz.sh TARGET [MINUTES]}"
minutes="${2:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
class="$(grep -rl "void ${target}(" "$here/src/test/java" | head -n 1)"
[ -n "$class" ] || { echo "no @FuzzTest method named $target" >&2; exit 2; }
simple="$(basename "$class" .java)"
pkg_path="$(dirname "${class#"$here/src/test/java/"}")"
inputs="$here/src/test/resources/$pkg_path/${simple}Inputs/$target"
mkdir -p "$inputs" "$here/target"
before="$(ls "$inputs")"

cd "$root"
# FUZZ_SKIP_INSTALL=1: the modules are already installed (e.g. to run two targets side by side).
[ "${FUZZ_SKIP_INSTALL:-0}" = 1 ] || ./mvnw -B -q install -DskipTests
echo "fuzzing ${simple}#${target} for ${minutes} min; log: $here/target/fuzz-${target}.log"
set +e
JAZZER_FUZZ=1 timeout --signal=INT "$((minutes * 60))" \
  ./mvnw -B test -pl hopper-fuzz -Dtest="${simple}#${target}" -Dsurefire.failIfNoSpecifiedTests=false \
  > "$here/target/fuzz-${target}.log" 2>&1
status=$?
set -e
grep -E "^#[0-9]+ .*(pulse|DONE)" "$here/target/fuzz-${target}.log" | tail -n 3 || true
grep -E "Test unit written|== Java Exception" "$here/target/fuzz-${target}.log" || true

# Jazzer writes findings straight into the inputs directory. Keep only those that reproduce.
new=()
for f in "$inputs"/*; do
  name="$(basename "$f")"
  grep -qxF "$name" <<<"$before" || new+=("$f")
done
if [ "${#new[@]}" -gt 0 ]; then
  echo "replaying ${#new[@]} new finding(s) in regression mode"
  if ./mvnw -B -q test -pl hopper-fuzz -Dtest="${simple}" > "$here/target/replay-${target}.log" 2>&1; then
    mkdir -p "$here/target/unreproduced"
    mv "${new[@]}" "$here/target/unreproduced/"
    echo "none reproduces (an interrupted run dumps its last input): moved to target/unreproduced"
  else
    echo "REPRODUCED: kept in $inputs; see target/replay-${target}.log"
  fi
fi
corpus="$here/.cifuzz-corpus/${simple}/${target}"
[ -d "$corpus" ] && echo "working corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
echo "exit status $status (124/130: the time limit ended the run)"
