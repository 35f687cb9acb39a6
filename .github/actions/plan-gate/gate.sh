#!/usr/bin/env bash
# The plan gate of `action.yml`, as one script (run it by hand the same way):
#   TOOLCHAIN  the platform's checkout (the action's own repository): its .venv runs everything
#   STACKS     stack names, separated by spaces or newlines
#   WORKDIR    the caller's folder with Pulumi.<stack>.yaml (default .); a copy of the program
#              there (baseline/program.py) is planned instead of the toolchain's
#   POLICY_CONFIG  folder of <stack>/security.json and cost.json, relative to WORKDIR (default:
#              WORKDIR's policies/config if it has the stack, else the toolchain's)
#   BASE_SHA   commit of the caller's repository to compare with (empty: no diff)
#   OUT_DIR    where the plans and reports go (default $RUNNER_TEMP/plan-gate, else build/gate)
#   RUN_URL    the workflow run, linked from the comment
# Writes OUT_DIR/comment.md (at most 60,000 characters) and OUT_DIR/report.md (everything), and
# `mandatory=true|false`, `report=` and `full-report=` to GITHUB_OUTPUT when set. Exit 0 with a
# mandatory violation (the caller decides); 2 for bad input; another code when a plan breaks.
set -euo pipefail

fail() { echo "::error::plan-gate: $*" >&2; exit 2; }
toolchain=$(cd "${TOOLCHAIN:?TOOLCHAIN is the platform checkout}" && pwd)
py="$toolchain/.venv/bin/python"
[ -x "$py" ] || fail "no toolchain in $toolchain/.venv (make -C $toolchain .venv/.installed)"
work=$(cd "${WORKDIR:-.}" && pwd) || fail "working directory ${WORKDIR:-.} not found"
out_dir=${OUT_DIR:-${RUNNER_TEMP:+$RUNNER_TEMP/plan-gate}}
mkdir -p "${out_dir:-build/gate}"
out=$(cd "${out_dir:-build/gate}" && pwd)
read -r -a stacks <<< "$(echo "${STACKS:-}" | tr '\n' ' ')"
[ "${#stacks[@]}" -gt 0 ] || fail "no stack given"

# The program a folder plans: its own copy of the platform, or the toolchain's.
program() { if [ -f "$1/baseline/program.py" ]; then echo "$1"; fi; }

policy_dir() {  # <folder> <stack>: the policy config folder of a stack, or nothing
  local dir
  if [ -n "${POLICY_CONFIG:-}" ]; then
    case "$POLICY_CONFIG" in /*) dir="$POLICY_CONFIG/$2" ;; *) dir="$1/$POLICY_CONFIG/$2" ;; esac
    [ -d "$dir" ] || fail "no policy config folder $dir (policy-config: $POLICY_CONFIG)"
    echo "$dir"
  elif [ -d "$1/policies/config/$2" ]; then
    echo "$1/policies/config/$2"
  fi
}

mandatory=false
for stack in "${stacks[@]}"; do
  [[ "$stack" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "bad stack name: $stack"
  config="$work/Pulumi.$stack.yaml"
  [ -f "$config" ] || fail "no stack file $config"
  args=(plan --stack "$stack" --config "$config" --json --out "$out/$stack.head.json")
  policy=$(policy_dir "$work" "$stack")
  if [ -n "$policy" ]; then args+=(--policy-config "$policy"); fi
  echo "::group::plan and policy gate of $stack"
  set +e
  (cd "$work" && PYTHONPATH="$(program "$work")" "$py" -m agents "${args[@]}") \
    > "$out/$stack.gate.json"
  code=$?
  set -e
  echo "::endgroup::"
  case "$code" in
    0) ;;
    1) mandatory=true ;;
    *) echo "::error::plan-gate: the plan of $stack failed (exit $code)"; exit "$code" ;;
  esac
done

if [ -n "${BASE_SHA:-}" ]; then
  base_root="${RUNNER_TEMP:-/tmp}/plan-gate-base-$$"
  git -C "$work" worktree add --quiet --detach "$base_root" "$BASE_SHA"
  trap 'git -C "$work" worktree remove --force "$base_root" || true' EXIT
  base_work="$base_root/$(git -C "$work" rev-parse --show-prefix)"
  base_py="$py"
  # A base that is a copy of the platform pinned otherwise plans with its own pins.
  if [ -n "$(program "$base_work")" ] && [ -f "$base_work/Makefile" ] \
    && ! cmp -s "$base_work/requirements.txt" "$toolchain/requirements.txt"; then
    echo "the base pins other requirements: installing its own toolchain"
    if make -C "$base_work" .venv/.installed; then base_py="$base_work/.venv/bin/python"; fi
  fi
  for stack in "${stacks[@]}"; do
    rm -f "$out/$stack.base.json" "$out/$stack.changes.txt"
    if [ ! -f "$base_work/Pulumi.$stack.yaml" ]; then
      echo "no Pulumi.$stack.yaml at the base: a new stack"; continue
    fi
    echo "::group::plan of $stack at the base"
    if (cd "$base_work" && PYTHONPATH="$(program "$base_work")" "$base_py" -m agents plan \
          --stack "$stack" --config "$base_work/Pulumi.$stack.yaml" --no-policy \
          --out "$out/$stack.base.json" > /dev/null); then
      (cd "$work" && PYTHONPATH="$(program "$work")" "$py" -m agents summarize \
         --export "$out/$stack.head.json" --baseline "$out/$stack.base.json" --budget 1000 \
         --no-policy > "$out/$stack.changes.txt") || rm -f "$out/$stack.changes.txt"
    else
      echo "::warning::plan-gate: no plan of $stack at the base; no diff"
      rm -f "$out/$stack.base.json"
    fi
    echo "::endgroup::"
  done
fi

compose=(-m toolchain.pr_comment --dir "$out")
for stack in "${stacks[@]}"; do compose+=(--stack "$stack"); done
if [ -n "${RUN_URL:-}" ]; then compose+=(--run-url "$RUN_URL"); fi
(cd "$toolchain" && "$py" "${compose[@]}" --out "$out/comment.md")
(cd "$toolchain" && "$py" "${compose[@]}" --limit 1000000 --out "$out/report.md")
cat "$out/report.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$out/report.md" >> "$GITHUB_STEP_SUMMARY"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "mandatory=$mandatory"
    echo "report=$out/comment.md"
    echo "full-report=$out/report.md"
  } >> "$GITHUB_OUTPUT"
fi
